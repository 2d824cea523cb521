//! The evidence locker (R19): an investigator preserves reads from a search they ran into a
//! case, with the reason, crime type and officer in charge (OIC). Each item holds a copy of the
//! read and its images under `locker/`, so the retention purge (R18) passes it by. Every item
//! is due for review six months after preservation or its last review; auditors record what
//! the OIC said; an unanswered review escalates to the OIC's supervisor and is tried again, and
//! after three unanswered attempts, or when the item is no longer needed, it is deleted. Every
//! step is audited (R21).

use crate::access::users;
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::{Config, LockerConfig};
use crate::error::{AppError, AppResult};
use crate::imagery::store::Images;
use crate::reads;
use crate::search;
use crate::store::{decode, Db, Tx};
use chrono::{DateTime, Duration, Months, Utc};
use serde_json::json;
use shared::locker::{CaseView, DeletedWhy, ItemView, NewCase, NewReview, Preserve, ReviewAnswer, MAX_UNANSWERED};
use shared::{AuditAction, ImageKind, ReadView, Role, UserView};
use sqlx::any::AnyRow;
use sqlx::Row;

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
fn may_see(user: &UserView, created_by: i64, oic: i64, supervisor: i64) -> bool {
    user.has(Role::Auditor) || [created_by, oic, supervisor].contains(&user.id)
}

async fn active_user_with(db: &Db, id: i64, role: Role, what: &str) -> AppResult<UserView> {
    let mut conn = db.pool().acquire().await?;
    users::find(&mut conn, id)
        .await?
        .filter(|u| !u.disabled && u.has(role))
        .ok_or_else(|| AppError::Invalid(format!("{what} must be an active {} (user {id} is not)", role.label())))
}

pub async fn open_case(db: &Db, now: DateTime<Utc>, user: &UserView, new: NewCase) -> AppResult<CaseView> {
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
pub async fn visible_case(db: &Db, user: &UserView, id: i64) -> AppResult<CaseView> {
    let row =
        sqlx::query(&format!("SELECT {CASE_COLUMNS}, k.created_by AS created_by_id FROM {CASE_FROM} WHERE k.id = $1"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    if let Some(row) = row {
        let case = case_from_row(&row)?;
        if may_see(user, row.try_get("created_by_id")?, case.oic_id, case.oic_supervisor_id) {
            return Ok(case);
        }
    }
    Err(AppError::NotFound(format!("you have no locker case with id {id}")))
}

/// The cases `user` may see, newest first.
pub async fn cases(db: &Db, user: &UserView) -> Result<Vec<CaseView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {CASE_COLUMNS} FROM {CASE_FROM} WHERE $1 = 1 OR k.created_by = $2 OR k.oic_id = $3 \
         OR k.oic_supervisor_id = $4 ORDER BY k.id DESC"
    ))
    .bind(i64::from(user.has(Role::Auditor)))
    .bind(user.id)
    .bind(user.id)
    .bind(user.id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(case_from_row).collect()
}

pub async fn items(db: &Db, case_id: i64) -> Result<Vec<ItemView>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.case_id = $1 ORDER BY i.id"))
        .bind(case_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(item_from_row).collect()
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

/// The item `id` if `user` may see it.
pub async fn visible_item(db: &Db, user: &UserView, id: i64) -> AppResult<ItemView> {
    match find_item(db, id).await? {
        Some((item, [by, oic, sup])) if may_see(user, by, oic, sup) => Ok(item),
        _ => Err(AppError::NotFound(format!("you have no locker item with id {id}"))),
    }
}

/// Where a preserved image lives.
fn locker_key(case_id: i64, read_id: i64, kind: ImageKind, from: &str) -> String {
    let extension = from.rsplit('.').next().unwrap_or("img");
    format!("locker/{case_id}/{read_id}-{}.{extension}", kind.as_str())
}

/// Preserves reads from a search `user` ran into their case; reads the case already holds are
/// left as they are. Returns the items added.
pub async fn preserve(
    db: &Db,
    images: &Images,
    now: DateTime<Utc>,
    config: &Config,
    user: &UserView,
    case_id: i64,
    new: Preserve,
) -> AppResult<Vec<ItemView>> {
    new.check()?;
    let case = visible_case(db, user, case_id).await?;
    if !user.has(Role::Investigator) {
        return Err(AppError::Forbidden("only investigators preserve reads".into()));
    }
    let (permitted, _) = search::reopen(db, now, &config.access, user, new.search_id).await?;
    let found = reads::access::many_in_search(db, user, &permitted, new.search_id, &new.read_ids).await?;
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

/// Items held whose review is due at `now`, longest overdue first.
pub async fn due(db: &Db, now: DateTime<Utc>) -> Result<Vec<ItemView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.deleted_at IS NULL AND i.review_due_at <= $1 \
         ORDER BY i.review_due_at, i.id"
    ))
    .bind(to_millis(now))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(item_from_row).collect()
}

/// Items held that have been escalated to `user` as the OIC's supervisor.
pub async fn escalated_to(db: &Db, user: &UserView) -> Result<Vec<ItemView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE i.deleted_at IS NULL AND i.escalated_to = $1 \
         ORDER BY i.review_due_at, i.id"
    ))
    .bind(user.id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(item_from_row).collect()
}

/// Deletes an item's copy of the read, keeping the record that it was held (R19, R21), and
/// returns the keys of its images, to delete once the change is committed.
async fn delete_item(tx: &mut Tx, now: DateTime<Utc>, id: i64, why: DeletedWhy) -> AppResult<Vec<String>> {
    let row = sqlx::query("SELECT plate_image, overview_image FROM locker_items WHERE id = $1")
        .bind(id)
        .fetch_one(tx.conn())
        .await?;
    let mut keys = Vec::new();
    for column in ["plate_image", "overview_image"] {
        keys.extend(row.try_get::<Option<String>, _>(column)?);
    }
    sqlx::query(
        "UPDATE locker_items SET read = NULL, plate_image = NULL, overview_image = NULL, deleted_at = $1, \
         deleted_why = $2 WHERE id = $3",
    )
    .bind(to_millis(now))
    .bind(why.as_str())
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(keys)
}

/// Records a review of item `id`: still needed (due again in six months), not needed
/// (deleted), or no answer (escalated to the OIC's supervisor and tried again; deleted at the
/// third). "No answer" may only be recorded once the review is due.
pub async fn review(
    db: &Db,
    images: &Images,
    now: DateTime<Utc>,
    config: &LockerConfig,
    auditor: &UserView,
    id: i64,
    new: NewReview,
) -> AppResult<ItemView> {
    new.check()?;
    let (item, [_, _, supervisor]) =
        find_item(db, id).await?.ok_or_else(|| AppError::NotFound(format!("no locker item with id {id}")))?;
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
    .bind(auditor.id)
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
        ReviewAnswer::NoAnswer if unanswered >= MAX_UNANSWERED => Some(DeletedWhy::Unanswered),
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
        Event::new(Actor::user(auditor), AuditAction::LockerReviewed).subject(format!("locker item {id}")).details(
            json!({ "answer": new.answer, "asked": item.ask, "note": new.note.trim(), "unanswered": unanswered }),
        ),
    )
    .await?;
    let mut gone = Vec::new();
    if let Some(why) = deleted {
        gone = delete_item(&mut tx, now, id, why).await?;
        audit::record(
            &mut tx,
            now,
            Event::new(Actor::user(auditor), AuditAction::LockerItemDeleted)
                .subject(format!("locker item {id}"))
                .details(json!({ "why": why, "case_id": item.case_id, "read_id": item.read_id })),
        )
        .await?;
    }
    tx.commit().await?;
    for key in gone {
        images.delete(&key).await.map_err(AppError::internal)?;
    }
    Ok(find_item(db, id).await?.expect("the item stays as a record").0)
}

/// Where item `id`'s image is kept, if it still has one.
pub async fn image_key(db: &Db, id: i64, kind: ImageKind) -> Result<Option<String>, sqlx::Error> {
    reads::stored_image_key(db, "locker_items", id, kind).await
}
