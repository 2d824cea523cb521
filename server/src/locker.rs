//! The evidence locker (R19): an investigator preserves reads from a search they ran into a
//! case, with the reason, crime type and officer in charge (OIC). Each item holds a copy of the
//! read and its images under `locker/`, so the retention purge (R18) passes it by. Every item
//! is due for review six months after preservation or its last review; auditors record what
//! the OIC said; an unanswered review escalates to the OIC's supervisor and is tried again, and
//! after three unanswered attempts, or when the item is no longer needed, it is deleted, and its
//! image copies with it. Every step is audited (R21). A viewer kept away from a camera (R13)
//! is shown no item whose read came from it.

use crate::access::{restrictions, users, Auditor, Investigator, Involved, Supervisor};
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::{Config, LockerConfig};
use crate::error::{AppError, AppResult};
use crate::imagery::store::Images;
use crate::search;
use crate::store::{decode, Db, Tx};
use chrono::{DateTime, Duration, Months, Utc};
use serde_json::json;
use shared::locker::{CaseView, DeletedWhy, ItemView, NewCase, NewReview, Preserve, ReviewAnswer};
use shared::{AuditAction, ImageKind, ReadView, Role, UserView};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeSet;

const CASE_COLUMNS: &str = "k.id, k.title, k.reason, k.crime_type, k.oic_id, o.display_name AS oic, \
     k.oic_supervisor_id, s.display_name AS oic_supervisor, b.display_name AS created_by, k.created_at, \
     (SELECT COUNT(*) FROM locker_items i WHERE i.case_id = k.id AND i.deleted_at IS NULL) AS held";
const CASE_FROM: &str = "locker_cases k JOIN users o ON o.id = k.oic_id JOIN users s ON s.id = k.oic_supervisor_id \
     JOIN users b ON b.id = k.created_by";

fn case_from_row(row: &AnyRow) -> Result<CaseView, sqlx::Error> {
    Ok(CaseView {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        reason: row.try_get("reason")?,
        crime_type: row.try_get("crime_type")?,
        oic_id: row.try_get("oic_id")?,
        oic: row.try_get("oic")?,
        oic_supervisor_id: row.try_get("oic_supervisor_id")?,
        oic_supervisor: row.try_get("oic_supervisor")?,
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?),
        held: row.try_get("held")?,
    })
}

const ITEM_COLUMNS: &str =
    "i.id, i.case_id, k.title AS case_title, i.read_id, i.read, p.display_name AS preserved_by, \
     i.preserved_at, i.review_due_at, i.unanswered, COALESCE(i.escalated_to, k.oic_id) AS ask_id, \
     a.display_name AS ask, i.escalated_to, i.deleted_at, i.deleted_why, k.created_by AS case_created_by, k.oic_id, \
     k.oic_supervisor_id";
const ITEM_FROM: &str = "locker_items i JOIN locker_cases k ON k.id = i.case_id JOIN users p ON p.id = i.preserved_by \
     JOIN users a ON a.id = COALESCE(i.escalated_to, k.oic_id)";

fn item_from_row(row: &AnyRow) -> Result<ItemView, sqlx::Error> {
    let read: Option<String> = row.try_get("read")?;
    let read: Option<ReadView> = read
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| sqlx::Error::ColumnDecode { index: "read".into(), source: e.into() })?;
    let why: Option<String> = row.try_get("deleted_why")?;
    Ok(ItemView {
        id: row.try_get("id")?,
        case_id: row.try_get("case_id")?,
        case_title: row.try_get("case_title")?,
        read,
        read_id: row.try_get("read_id")?,
        preserved_by: row.try_get("preserved_by")?,
        preserved_at: from_millis(row.try_get("preserved_at")?),
        review_due_at: from_millis(row.try_get("review_due_at")?),
        unanswered: row.try_get("unanswered")?,
        ask_id: row.try_get("ask_id")?,
        ask: row.try_get("ask")?,
        escalated: row.try_get::<Option<i64>, _>("escalated_to")?.is_some(),
        deleted_at: row.try_get::<Option<i64>, _>("deleted_at")?.map(from_millis),
        deleted_why: why.map(|w| decode("deleted_why", &w, DeletedWhy::parse)).transpose()?,
    })
}

/// Who may see a case and its items: its creator, its OIC, the OIC's supervisor, auditors.
fn may_see(viewer: &Involved, created_by: i64, oic: i64, supervisor: i64) -> bool {
    viewer.sees_every_case() || [created_by, oic, supervisor].contains(&viewer.id)
}

/// The cameras `user` is kept away from (R13).
async fn denied_cameras(db: &Db, user: &UserView) -> Result<BTreeSet<i64>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    Ok(restrictions::of(&mut conn, user.id).await?.denied_cameras)
}

/// Whether `item` may be shown to a viewer kept away from the `denied` cameras (R13): not when
/// its read came from one of them. A deleted item holds no read, and so nothing of any camera.
fn shown(item: &ItemView, denied: &BTreeSet<i64>) -> bool {
    item.read.as_ref().is_none_or(|read| !denied.contains(&read.camera_id))
}

/// The items among `items` a viewer kept away from the `denied` cameras may see (R13).
fn only_shown(items: Vec<ItemView>, denied: &BTreeSet<i64>) -> Vec<ItemView> {
    items.into_iter().filter(|item| shown(item, denied)).collect()
}

/// `case`'s count of items held, as a viewer kept away from the `denied` cameras sees them
/// (R13): the items they are not shown are not counted either.
async fn held_as_shown(db: &Db, case: &mut CaseView, denied: &BTreeSet<i64>) -> Result<(), sqlx::Error> {
    if !denied.is_empty() {
        let items = all_items(db, case.id).await?;
        case.held = items.iter().filter(|i| i.deleted_at.is_none() && shown(i, denied)).count() as i64;
    }
    Ok(())
}

async fn active_user_with(db: &Db, id: i64, role: Role, what: &str) -> AppResult<UserView> {
    let mut conn = db.pool().acquire().await?;
    users::find(&mut conn, id)
        .await?
        .filter(|u| !u.disabled && u.has(role))
        .ok_or_else(|| AppError::Invalid(format!("{what} must be an active {} (user {id} is not)", role.label())))
}

pub async fn open_case(db: &Db, now: DateTime<Utc>, user: &Investigator, new: NewCase) -> AppResult<CaseView> {
    new.check()?;
    let oic = active_user_with(db, new.oic_id, Role::Investigator, "the officer in charge").await?;
    let supervisor = active_user_with(db, new.oic_supervisor_id, Role::Supervisor, "the OIC's supervisor").await?;
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO locker_cases (title, reason, crime_type, oic_id, oic_supervisor_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.title.trim())
    .bind(new.reason.trim())
    .bind(new.crime_type.trim())
    .bind(oic.id)
    .bind(supervisor.id)
    .bind(user.id)
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await?
    .try_get("id")?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(user), AuditAction::LockerCaseOpened).subject(format!("case {id}")).details(json!({
            "title": new.title.trim(),
            "reason": new.reason.trim(),
            "crime_type": new.crime_type.trim(),
            "oic": oic.username,
            "oic_supervisor": supervisor.username,
        })),
    )
    .await?;
    tx.commit().await?;
    find_case(db, id).await?.ok_or_else(|| AppError::internal("case vanished"))
}

async fn find_case(db: &Db, id: i64) -> Result<Option<CaseView>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM {CASE_FROM} WHERE k.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(case_from_row).transpose()
}

/// The case `id` if `user` may see it.
pub async fn visible_case(db: &Db, user: &Involved, id: i64) -> AppResult<CaseView> {
    let row =
        sqlx::query(&format!("SELECT {CASE_COLUMNS}, k.created_by AS created_by_id FROM {CASE_FROM} WHERE k.id = $1"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    if let Some(row) = row {
        let mut case = case_from_row(&row)?;
        if may_see(user, row.try_get("created_by_id")?, case.oic_id, case.oic_supervisor_id) {
            held_as_shown(db, &mut case, &denied_cameras(db, user).await?).await?;
            return Ok(case);
        }
    }
    Err(AppError::NotFound(format!("you have no locker case with id {id}")))
}

/// The cases `user` may see, newest first.
pub async fn cases(db: &Db, user: &Involved) -> Result<Vec<CaseView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} FROM {CASE_FROM} WHERE $1 = 1 OR k.created_by = $2 OR k.oic_id = $3 \
         OR k.oic_supervisor_id = $4 ORDER BY k.id DESC"
    ))
    .bind(i64::from(user.sees_every_case()))
    .bind(user.id)
    .bind(user.id)
    .bind(user.id)
    .fetch_all(db.pool())
    .await?;
    let mut cases = rows.iter().map(case_from_row).collect::<Result<Vec<_>, _>>()?;
    let denied = denied_cameras(db, user).await?;
    for case in &mut cases {
        held_as_shown(db, case, &denied).await?;
    }
    Ok(cases)
}

/// Every item of case `case_id`, whoever looks.
async fn all_items(db: &Db, case_id: i64) -> Result<Vec<ItemView>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.case_id = $1 ORDER BY i.id"))
        .bind(case_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(item_from_row).collect()
}

/// The items of case `case_id` that `viewer` may see: none whose read came from a camera they
/// are kept away from (R13).
pub async fn items(db: &Db, viewer: &Involved, case_id: i64) -> Result<Vec<ItemView>, sqlx::Error> {
    Ok(only_shown(all_items(db, case_id).await?, &denied_cameras(db, viewer).await?))
}

async fn find_item(db: &Db, id: i64) -> Result<Option<(ItemView, [i64; 3])>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let people = [row.try_get("case_created_by")?, row.try_get("oic_id")?, row.try_get("oic_supervisor_id")?];
    Ok(Some((item_from_row(&row)?, people)))
}

/// The item `id` if `user` may see it: one of a case they may see, whose read came from no
/// camera they are kept away from (R13). An item they may not see is as absent as one that
/// does not exist.
pub async fn visible_item(db: &Db, user: &Involved, id: i64) -> AppResult<ItemView> {
    match find_item(db, id).await? {
        Some((item, [by, oic, sup]))
            if may_see(user, by, oic, sup) && shown(&item, &denied_cameras(db, user).await?) =>
        {
            Ok(item)
        }
        _ => Err(AppError::NotFound(format!("you have no locker item with id {id}"))),
    }
}

/// Where a preserved image lives: named by case, read and kind only, never by anything the
/// read holds (a plate in an object's name would outlive the item in listings and logs). The
/// extension is kept only when it is an image format the store serves.
fn locker_key(case_id: i64, read_id: i64, kind: ImageKind, from: &str) -> String {
    let extension = from
        .rsplit_once('.')
        .and_then(|(_, ext)| crate::imagery::StoredFormat::from_extension(ext))
        .map_or("img", |format| format.extension());
    format!("locker/{case_id}/{read_id}-{}.{extension}", kind.as_str())
}

/// The case `case_id` if `user` may preserve reads into it: one they opened or are the officer
/// in charge of (R19). A case they may not see at all is absent; one they may see but do not
/// hold (as the OIC's supervisor, say) is forbidden.
async fn own_case(db: &Db, user: &Investigator, case_id: i64) -> AppResult<CaseView> {
    let row = sqlx::query("SELECT created_by, oic_id FROM locker_cases WHERE id = $1")
        .bind(case_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("you have no locker case with id {case_id}")))?;
    let (created_by, oic): (i64, i64) = (row.try_get("created_by")?, row.try_get("oic_id")?);
    if user.id != created_by && user.id != oic {
        return Err(AppError::Forbidden(format!(
            "reads are preserved only into a case you opened or are the officer in charge of; case {case_id} is not"
        )));
    }
    find_case(db, case_id).await?.ok_or_else(|| AppError::internal("case vanished"))
}

/// Preserves reads from a search `user` ran into their case; reads the case already holds are
/// left as they are. Returns the items added.
pub async fn preserve(
    db: &Db,
    images: &Images,
    now: DateTime<Utc>,
    config: &Config,
    user: &Investigator,
    case_id: i64,
    new: Preserve,
) -> AppResult<Vec<ItemView>> {
    new.check()?;
    let case = own_case(db, user, case_id).await?;
    let (permitted, _) = search::reopen(db, now, &config.access, user, new.search_id).await?;
    let found = crate::gate::many_in_search(db, user, &permitted, new.search_id, &new.read_ids).await?;
    let due = now.checked_add_months(Months::new(config.locker.review_months)).expect("a date in range");
    // The copies go first: an item is only recorded once its images are safely held.
    let mut copies = Vec::with_capacity(found.len());
    for reached in &found {
        let read = reached.read();
        let mut keys = [None, None];
        for (slot, kind) in keys.iter_mut().zip([ImageKind::Plate, ImageKind::Overview]) {
            if let Some(from) = reached.image_key(db, kind).await? {
                let to = locker_key(case.id, read.id, kind, &from);
                images.copy(&from, &to).await.map_err(AppError::internal)?;
                *slot = Some(to);
            }
        }
        copies.push((read, keys));
    }
    let mut tx = db.begin().await?;
    let mut added = Vec::new();
    for (read, keys) in copies {
        let snapshot = serde_json::to_string(read).map_err(AppError::internal)?;
        let inserted = sqlx::query(
            "INSERT INTO locker_items (case_id, read_id, search_id, read, plate_image, overview_image, preserved_by, \
             preserved_at, review_due_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (case_id, read_id) DO NOTHING RETURNING id",
        )
        .bind(case.id)
        .bind(read.id)
        .bind(new.search_id)
        .bind(snapshot)
        .bind(keys[0].as_deref())
        .bind(keys[1].as_deref())
        .bind(user.id)
        .bind(to_millis(now))
        .bind(to_millis(due))
        .fetch_optional(tx.conn())
        .await?;
        if let Some(row) = inserted {
            added.push(row.try_get::<i64, _>("id")?);
        }
    }
    // The act and its record commit together (R21).
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(user), AuditAction::ReadsPreserved).subject(permitted.reference()).details(json!({
            "case_id": case.id,
            "search_id": new.search_id,
            "read_ids": new.read_ids,
            "items_added": added,
        })),
    )
    .await?;
    tx.commit().await?;
    let mut views = Vec::with_capacity(added.len());
    for id in added {
        views.extend(find_item(db, id).await?.map(|(item, _)| item));
    }
    Ok(views)
}

/// Items held whose review is due at `now`, longest overdue first, that `viewer` may see
/// (R13).
pub async fn due(db: &Db, viewer: &Auditor, now: DateTime<Utc>) -> Result<Vec<ItemView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.deleted_at IS NULL AND i.review_due_at <= $1 \
         ORDER BY i.review_due_at, i.id"
    ))
    .bind(to_millis(now))
    .fetch_all(db.pool())
    .await?;
    let items = rows.iter().map(item_from_row).collect::<Result<_, _>>()?;
    Ok(only_shown(items, &denied_cameras(db, viewer).await?))
}

/// Items held that have been escalated to `user` as the OIC's supervisor, that they may see
/// (R13).
pub async fn escalated_to(db: &Db, user: &Supervisor) -> Result<Vec<ItemView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.deleted_at IS NULL AND i.escalated_to = $1 \
         ORDER BY i.review_due_at, i.id"
    ))
    .bind(user.id)
    .fetch_all(db.pool())
    .await?;
    let items = rows.iter().map(item_from_row).collect::<Result<_, _>>()?;
    Ok(only_shown(items, &denied_cameras(db, user).await?))
}

/// Deletes an item's copy of the read, keeping the record that it was held (R19, R21). Its
/// image copies' keys stay in the row until [`delete_images`] has deleted them from the store:
/// the row is the record of what is still to delete.
async fn delete_item(tx: &mut Tx, now: DateTime<Utc>, id: i64, why: DeletedWhy) -> AppResult<()> {
    sqlx::query("UPDATE locker_items SET read = NULL, deleted_at = $1, deleted_why = $2 WHERE id = $3")
        .bind(to_millis(now))
        .bind(why.as_str())
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Deletes the image copies of every deleted item that still has some (R19: nothing of a
/// deleted item is left behind), clearing each key once its object is gone. A copy the store
/// fails to delete keeps its key, is recorded as `image_deletion_failed` (R21), and is tried
/// again the next time this runs (after every review); the item stays deleted either way.
/// Returns how many copies were deleted.
pub async fn delete_images(db: &Db, images: &Images, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, plate_image, overview_image FROM locker_items WHERE deleted_at IS NOT NULL \
         AND (plate_image IS NOT NULL OR overview_image IS NOT NULL) ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut deleted = 0;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        for column in ["plate_image", "overview_image"] {
            let Some(key) = row.try_get::<Option<String>, _>(column)? else { continue };
            match images.delete(&key).await {
                Ok(()) => {
                    let mut tx = db.begin().await?;
                    sqlx::query(&format!("UPDATE locker_items SET {column} = NULL WHERE id = $1 AND {column} = $2"))
                        .bind(id)
                        .bind(&key)
                        .execute(tx.conn())
                        .await?;
                    tx.commit().await?;
                    deleted += 1;
                }
                Err(e) => {
                    tracing::warn!(item = id, key = %key, error = %e, "a locker image copy could not be deleted; kept for retry");
                    audit::record_alone(
                        db,
                        now,
                        Event::new(Actor::system(), AuditAction::ImageDeletionFailed)
                            .subject(format!("locker item {id}"))
                            .details(json!({ "key": key, "error": e.to_string(), "retried": "after the next review" })),
                    )
                    .await?;
                }
            }
        }
    }
    Ok(deleted)
}

/// Who records a review: the audit unit, having asked the OIC (or, once escalated, their
/// supervisor); or the supervisor an item was escalated to, answering for themselves in the app.
pub enum Reviewer<'a> {
    Audit(&'a Auditor),
    Escalated(&'a Supervisor),
}

impl Reviewer<'_> {
    fn user(&self) -> &UserView {
        match self {
            Reviewer::Audit(a) => a,
            Reviewer::Escalated(s) => s,
        }
    }
}

/// Records a review of item `id`: still needed (due again in six months), not needed
/// (deleted), or no answer (escalated to the OIC's supervisor and tried again; deleted at the
/// third). "No answer" may only be recorded once the review is due, and only by the audit
/// unit; a supervisor answers only for an item escalated to them (R19).
pub async fn review(
    db: &Db,
    images: &Images,
    now: DateTime<Utc>,
    config: &LockerConfig,
    reviewer: Reviewer<'_>,
    id: i64,
    new: NewReview,
) -> AppResult<ItemView> {
    new.check()?;
    let by = reviewer.user();
    let denied = denied_cameras(db, by).await?;
    let not_found = || AppError::NotFound(format!("no locker item with id {id}"));
    let (item, [_, _, supervisor]) =
        find_item(db, id).await?.filter(|(item, _)| shown(item, &denied)).ok_or_else(not_found)?;
    if let Reviewer::Escalated(s) = reviewer {
        if !(item.escalated && item.ask_id == s.id) {
            return Err(not_found());
        }
        if new.answer == ReviewAnswer::NoAnswer {
            return Err(AppError::Invalid("you are the one asked: answer still needed or not needed".into()));
        }
    }
    if item.deleted_at.is_some() {
        return Err(AppError::Conflict(format!("locker item {id} has already been deleted")));
    }
    if new.answer == ReviewAnswer::NoAnswer && item.review_due_at > now {
        return Err(AppError::Conflict(format!(
            "locker item {id} is not due for review until {}",
            crate::search::grant::stamp(item.review_due_at)
        )));
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO locker_reviews (item_id, recorded_by, recorded_at, asked, answer, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(by.id)
    .bind(to_millis(now))
    .bind(item.ask_id)
    .bind(new.answer.as_str())
    .bind(new.note.trim())
    .execute(tx.conn())
    .await?;
    let unanswered = item.unanswered + 1;
    let deleted = match new.answer {
        ReviewAnswer::StillNeeded => {
            let due = now.checked_add_months(Months::new(config.review_months)).expect("a date in range");
            sqlx::query(
                "UPDATE locker_items SET review_due_at = $1, unanswered = 0, escalated_to = NULL WHERE id = $2",
            )
            .bind(to_millis(due))
            .bind(id)
            .execute(tx.conn())
            .await?;
            None
        }
        ReviewAnswer::NotNeeded => Some(DeletedWhy::NotNeeded),
        ReviewAnswer::NoAnswer if unanswered >= config.max_unanswered => Some(DeletedWhy::Unanswered),
        ReviewAnswer::NoAnswer => {
            sqlx::query("UPDATE locker_items SET review_due_at = $1, unanswered = $2, escalated_to = $3 WHERE id = $4")
                .bind(to_millis(now + Duration::days(config.retry_days)))
                .bind(unanswered)
                .bind(supervisor)
                .bind(id)
                .execute(tx.conn())
                .await?;
            None
        }
    };
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(by), AuditAction::LockerReviewed).subject(format!("locker item {id}")).details(
            json!({ "answer": new.answer, "asked": item.ask, "note": new.note.trim(), "unanswered": unanswered }),
        ),
    )
    .await?;
    if let Some(why) = deleted {
        delete_item(&mut tx, now, id, why).await?;
        audit::record(
            &mut tx,
            now,
            Event::new(Actor::user(by), AuditAction::LockerItemDeleted)
                .subject(format!("locker item {id}"))
                .details(json!({ "why": why, "case_id": item.case_id, "read_id": item.read_id })),
        )
        .await?;
    }
    tx.commit().await?;
    // The deletion stands whatever the store says; what it fails to delete is tried again.
    delete_images(db, images, now).await?;
    Ok(find_item(db, id).await?.expect("the item stays as a record").0)
}

/// Where item `id`'s image is kept, if it still holds one: a deleted item holds none, even
/// while its copy waits to be deleted from the store.
pub async fn image_key(db: &Db, id: i64, kind: ImageKind) -> Result<Option<String>, sqlx::Error> {
    let column = match kind {
        ImageKind::Plate => "plate_image",
        ImageKind::Overview => "overview_image",
    };
    let row =
        sqlx::query(&format!("SELECT {column} AS image_key FROM locker_items WHERE id = $1 AND deleted_at IS NULL"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|r| r.try_get::<Option<String>, _>("image_key")).transpose()?.flatten())
}

#[cfg(test)]
mod tests {
    use super::locker_key;
    use shared::ImageKind;

    #[test]
    fn a_locker_key_never_names_the_plate() {
        // R19, R1: the source key names the plate; the copy's key does not, whatever the source.
        for from in [
            "reads/2026-03-02/1/2/1772442000000-AB12CDE-plate.png",
            "reads/2026-03-02/1/2/1772442000000-AB12CDE-plate",
            "reads/2026-03-02/1/2/1772442000000-AB12CDE.overview.AB12CDE",
            "AB12CDE",
        ] {
            let key = locker_key(7, 42, ImageKind::Plate, from);
            assert!(!key.contains("AB12CDE"), "{from} -> {key}");
            assert!(key.starts_with("locker/7/42-plate."), "{key}");
        }
        assert_eq!(
            locker_key(7, 42, ImageKind::Overview, "reads/x/1-AB12CDE-overview.jpg"),
            "locker/7/42-overview.jpg"
        );
        assert_eq!(locker_key(7, 42, ImageKind::Plate, "reads/x/1-AB12CDE-plate"), "locker/7/42-plate.img");
    }
}
