//! The one gate to a read (R8, R10, R12, R13, R21). No read, plate, image or verification
//! history leaves the server except through a [`Reached`], and only this module makes one:
//! from a search (or live-time watch, which is a search) the caller ran under a grant that
//! holds now, from an alert they received, or (a supervisor) from a statement they are asked
//! to decide. Anything else is answered 404, exactly as for a
//! read that does not exist, and the refusal is audited with its real reason. Each view of a
//! reached read or its images is audited here, naming what it was reached under.

use crate::access::{Investigator, Supervisor};
use crate::audit::{self, Actor, Event};
use crate::cameras::purposes::Sources;
use crate::config::AccessConfig;
use crate::error::{AppError, AppResult};
use crate::export::statements;
use crate::hotlists;
use crate::imagery::store::Images;
use crate::reads::{read_from_row, READ_COLUMNS};
use crate::search;
use crate::store::Db;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use shared::hotlists::AlertView;
use shared::{AuditAction, ImageKind, ReadView, UserView};

/// What gives the caller the right to a read, named in every audit row of its view.
#[derive(Debug, Clone, PartialEq)]
pub enum Under {
    /// A search or watch the caller ran, under the request with this reference.
    Search { search_id: i64, reference: String },
    /// An alert the caller received (R8: that vehicle only).
    Alert { alert_id: i64, hotlist_id: i64 },
    /// A statement the caller, a supervisor, is asked to decide (R14), under the request with
    /// this reference.
    Statement { statement_id: i64, reference: String },
    /// A subject access request an auditor is answering: its own legal basis (R23).
    SubjectAccess { entry_id: i64, reference: String },
}

impl Under {
    fn subject(&self) -> String {
        match self {
            Under::Search { reference, .. } => reference.clone(),
            Under::Alert { alert_id, .. } => format!("alert {alert_id}"),
            Under::Statement { reference, .. } | Under::SubjectAccess { reference, .. } => reference.clone(),
        }
    }

    fn details(&self) -> Value {
        match self {
            Under::Search { search_id, reference } => json!({ "search_id": search_id, "request": reference }),
            Under::Alert { alert_id, hotlist_id } => json!({ "alert_id": alert_id, "hotlist_id": hotlist_id }),
            Under::Statement { statement_id, reference } => {
                json!({ "statement_id": statement_id, "request": reference })
            }
            Under::SubjectAccess { entry_id, reference } => {
                json!({ "entry_id": entry_id, "subject_access": reference })
            }
        }
    }
}

/// A read the caller holds a right to now. Its fields are private: only the gate makes one.
#[derive(Debug, Clone)]
pub struct Reached {
    read: ReadView,
    under: Under,
    viewer: Actor,
}

/// Records a refused access with its reason and answers as for a read that does not exist.
async fn refuse(db: &Db, now: DateTime<Utc>, user: &UserView, asked: Value, why: &AppError) -> AppError {
    if let Err(e) = audit::refused(db, now, Actor::user(user), AuditAction::ReadRefused, asked, why).await {
        return AppError::from(e);
    }
    AppError::NotFound("no such read is open to you".into())
}

/// Read `read_id` as one of the results of search (or watch) `search_id`, which `user` ran
/// under a grant that holds now (R10, R12, R13). Reads outside the search, beyond the user's
/// reach, at a camera they are restricted from, or under a request that is no longer usable
/// are refused, and the refusal audited.
pub async fn in_search(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    user: &Investigator,
    search_id: i64,
    read_id: i64,
) -> AppResult<Reached> {
    let reached = async {
        let (permitted, _) = search::reopen(db, now, policy, user, search_id).await?;
        let read = search::find_one(db, &permitted, read_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("read {read_id} is not among search {search_id}'s results")))?;
        let under = Under::Search { search_id, reference: permitted.reference().to_owned() };
        Ok::<_, AppError>(Reached { read, under, viewer: Actor::user(user) })
    }
    .await;
    match reached {
        Ok(r) => Ok(r),
        Err(AppError::Internal(e)) => Err(AppError::Internal(e)),
        Err(why) => Err(refuse(db, now, user, json!({ "search_id": search_id, "read_id": read_id }), &why).await),
    }
}

/// The reads statement `statement_id` would attest, for a supervisor who may decide it (R14):
/// those its requester's search still finds under the requester's grant as it stands now —
/// what has since left their reach, or been purged, is not shown (R12, R18). The listing is
/// audited as one row naming the statement and every read shown (R21); a refusal like any other.
pub async fn in_statement_to_decide(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    supervisor: &Supervisor,
    statement_id: i64,
) -> AppResult<Vec<ReadView>> {
    let listed = async {
        let (statement, requester_id) = statements::to_decide(db, supervisor, statement_id).await?;
        let permitted = statements::requester_search(db, now, policy, requester_id, statement.search_id).await?;
        // The supervisor's own restrictions hold too (R13): a camera kept from them is kept
        // from them here as on every other path.
        let mut conn = db.pool().acquire().await?;
        let denied = crate::access::restrictions::of(&mut conn, supervisor.id).await?.denied_cameras;
        drop(conn);
        let mut reads = search::found_among(db, &permitted, &statement.read_ids).await?;
        reads.retain(|r| !denied.contains(&r.camera_id));
        Ok::<_, AppError>((statement, reads))
    }
    .await;
    let (statement, reads) = match listed {
        Ok(listed) => listed,
        Err(AppError::Internal(e)) => return Err(AppError::Internal(e)),
        Err(why) => return Err(refuse(db, now, supervisor, json!({ "statement_id": statement_id }), &why).await),
    };
    let under = Under::Statement { statement_id, reference: statement.reference.clone() };
    let mut details = under.details();
    details["read_ids"] = json!(reads.iter().map(|r| r.id).collect::<Vec<_>>());
    details["not_shown"] = json!(statement.read_ids.len() - reads.len());
    let event = Event::new(Actor::user(supervisor), AuditAction::ReadsListed).subject(under.subject()).details(details);
    audit::record_alone(db, now, event).await?;
    Ok(reads)
}

/// What the system holds for the plate subject access request `entry_id` names, for an auditor
/// answering it (R23): its own legal basis, no investigator's request. The reads of that
/// vehicle (the plate as read unless a verification corrected it, or corrected to it, R16)
/// inside retention (R18), at cameras the auditor is not restricted from (R13); only while
/// the entry is open. The disclosure is audited as one row naming the entry and every read
/// (R21); a refusal (no such entry, closed, no plate) like any other, and answered as such. It
/// is an export the auditor keeps (R20): recorded with its review date, which it names, and
/// escalating, unanswered, to the audit unit (it was made under no request).
pub async fn for_subject_access(
    db: &Db,
    now: DateTime<Utc>,
    config: &crate::config::Config,
    auditor: &crate::access::Auditor,
    entry_id: i64,
) -> AppResult<shared::registers::Disclosure> {
    let cutoff = crate::access::policy::retention_cutoff(&config.access, now);
    let asked = json!({ "subject_access_id": entry_id });
    let mut tx = db.begin().await?;
    let (entry, plate) = match crate::registers::subject_access_plate(&mut tx, entry_id).await {
        Ok(found) => found,
        Err(AppError::Internal(e)) => return Err(AppError::Internal(e)),
        Err(why) => {
            drop(tx);
            audit::refused(db, now, Actor::user(auditor), AuditAction::ReadRefused, asked, &why).await?;
            return Err(why);
        }
    };
    let denied = crate::access::restrictions::of(tx.conn(), auditor.id).await?.denied_cameras;
    // Cameras kept from the auditor are left out in the query, so the cap counts only reads
    // they may see (ids are integers the database gave).
    let kept_from: String = denied.iter().map(|id| format!(" AND r.camera_id <> {id}")).collect();
    let from = "FROM reads r JOIN cameras c ON c.id = r.camera_id";
    let sql = format!(
        "SELECT {READ_COLUMNS} {from} WHERE r.plate = $1 AND r.corrected_plate IS NULL AND r.captured_at >= $2{kept_from} \
         UNION ALL SELECT {READ_COLUMNS} {from} WHERE r.corrected_plate = $1 AND r.captured_at >= $2{kept_from} \
         ORDER BY 3, 1 LIMIT {}",
        shared::registers::MAX_DISCLOSED + 1
    );
    let mut rows = sqlx::query(&sql).bind(&plate).bind(crate::clock::to_millis(cutoff)).fetch_all(tx.conn()).await?;
    let more = rows.len() > shared::registers::MAX_DISCLOSED;
    rows.truncate(shared::registers::MAX_DISCLOSED);
    let reads = rows.iter().map(crate::reads::read_from_row).collect::<Result<Vec<_>, _>>()?;
    crate::registers::searched(&mut tx, now, entry_id, reads.len()).await?;
    let review_by = crate::export::review_by(config, now);
    let recipient = format!("the data subject of {}", entry.reference);
    let disclosure = crate::export::Disclosure {
        kind: shared::export::ExportKind::Disclosure,
        search_id: None,
        request_id: None,
        reference: &entry.reference,
        format: "json",
        recipient: &recipient,
        transfer: false,
        rows: reads.len(),
        statement_id: None,
        review_by,
    };
    let export_id = crate::export::keep(&mut tx, now, auditor.id, &disclosure).await?;
    let under = Under::SubjectAccess { entry_id, reference: entry.reference.clone() };
    let mut details = under.details();
    details["plate"] = json!(plate);
    details["read_ids"] = json!(reads.iter().map(|r| r.id).collect::<Vec<_>>());
    details["more"] = json!(more);
    details["export_id"] = json!(export_id);
    details["review_by"] = json!(crate::export::time(review_by));
    let event = Event::new(Actor::user(auditor), AuditAction::SubjectAccessSearched).subject(under.subject());
    audit::record(&mut tx, now, event.details(details)).await?;
    tx.commit().await?;
    Ok(shared::registers::Disclosure {
        reference: entry.reference,
        plate,
        searched_at: now,
        held_from: cutoff,
        more,
        export_id,
        review_by,
        reads: reads
            .into_iter()
            .map(|r| shared::registers::DisclosedRead {
                captured_at: r.captured_at,
                plate: r.best_plate().to_owned(),
                camera: r.camera_name,
                lat: r.lat,
                lon: r.lon,
                direction: r.direction,
            })
            .collect(),
    })
}

/// Reads `ids`, each among the results of the permitted search `p` that `user` ran as search
/// `search_id`: for acts on chosen reads (preserving them, R19). An id it does not find is
/// refused.
pub async fn many_in_search(
    db: &Db,
    user: &Investigator,
    p: &search::Permitted,
    search_id: i64,
    ids: &[i64],
) -> AppResult<Vec<Reached>> {
    let reads = search::among(db, p, ids).await?;
    let under = Under::Search { search_id, reference: p.reference().to_owned() };
    Ok(reads.into_iter().map(|read| Reached { read, under: under.clone(), viewer: Actor::user(user) }).collect())
}

/// The read of alert `alert_id`, if `user` is in its list's audience now, not restricted from
/// its camera (R8, R13), and the read is inside retention by the clock (R12, R18: whatever the
/// purge has done).
pub async fn in_alert(
    db: &Db,
    now: DateTime<Utc>,
    cutoff: DateTime<Utc>,
    user: &Investigator,
    alert_id: i64,
) -> AppResult<(AlertView, Reached)> {
    let alert = hotlists::alert_for(db, user.id, alert_id).await?;
    // The list's purpose must be one the read's source allows as its basis stands now: an act
    // dated back may have taken it away since the alert was raised (R3, R10).
    let allowed = match &alert {
        Some(alert) => {
            let purpose = hotlists::purpose_of(db, alert.hotlist_id).await?;
            let sources = Sources::load(&mut *db.pool().acquire().await?).await?;
            let at = crate::clock::to_millis(alert.read.captured_at);
            sources.allows(alert.read.camera_id, at, purpose).then_some(purpose)
        }
        None => None,
    };
    match alert {
        Some(alert) if alert.read.captured_at < cutoff => {
            let why = AppError::NotFound(format!(
                "alert {alert_id}'s read was captured before the retention cutoff: it is not kept (R12, R18)"
            ));
            Err(refuse(db, now, user, json!({ "alert_id": alert_id }), &why).await)
        }
        Some(_) if allowed.is_none() => {
            let why = AppError::NotFound(format!(
                "alert {alert_id}'s read came from a source whose legal basis does not allow its list's purpose (R3)"
            ));
            Err(refuse(db, now, user, json!({ "alert_id": alert_id }), &why).await)
        }
        Some(alert) => {
            let under = Under::Alert { alert_id, hotlist_id: alert.hotlist_id };
            let reached = Reached { read: alert.read.clone(), under, viewer: Actor::user(user) };
            Ok((alert, reached))
        }
        None => {
            let why = AppError::NotFound(format!("alert {alert_id} is not one of yours"));
            Err(refuse(db, now, user, json!({ "alert_id": alert_id }), &why).await)
        }
    }
}

impl Reached {
    pub fn read(&self) -> &ReadView {
        &self.read
    }

    pub fn under(&self) -> &Under {
        &self.under
    }

    /// The read, its view audited with `what` was shown with it (R21).
    pub async fn shown(&self, db: &Db, now: DateTime<Utc>, what: &str) -> AppResult<&ReadView> {
        let mut details = self.under.details();
        details["read_id"] = json!(self.read.id);
        details["plate"] = json!(self.read.plate);
        details["with"] = json!(what);
        audit::record_alone(
            db,
            now,
            Event::new(self.viewer.clone(), AuditAction::ReadViewed).subject(self.under.subject()).details(details),
        )
        .await?;
        Ok(&self.read)
    }

    /// Where the read's `kind` image is kept, if it has one.
    pub(crate) async fn image_key(&self, db: &Db, kind: ImageKind) -> Result<Option<String>, sqlx::Error> {
        crate::reads::stored_image_key(db, "reads", self.read.id, kind).await
    }

    /// The read's `kind` image, its view audited naming what the read was reached under (R21).
    pub async fn image(&self, db: &Db, images: &Images, now: DateTime<Utc>, kind: ImageKind) -> AppResult<Response> {
        let key = self
            .image_key(db, kind)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("read {} has no {} image", self.read.id, kind.as_str())))?;
        let response = images.response(&key).await?;
        let action = match self.under {
            Under::Search { .. } | Under::Statement { .. } | Under::SubjectAccess { .. } => AuditAction::ImageViewed,
            Under::Alert { .. } => AuditAction::AlertImageViewed,
        };
        let mut details = self.under.details();
        details["read_id"] = json!(self.read.id);
        details["image"] = json!(kind);
        audit::record_alone(
            db,
            now,
            Event::new(self.viewer.clone(), action).subject(self.under.subject()).details(details),
        )
        .await?;
        Ok(response)
    }

    /// The read as it is stored now (after a verification changed it).
    pub(crate) async fn refreshed(mut self, db: &Db) -> AppResult<Reached> {
        self.read = find(db, self.read.id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("read {} is no longer held", self.read.id)))?;
        Ok(self)
    }
}

/// A read by bare id: private to the gate, which alone decides who may have it.
async fn find(db: &Db, id: i64) -> Result<Option<ReadView>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {READ_COLUMNS} FROM reads r JOIN cameras c ON c.id = r.camera_id WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(read_from_row).transpose()
}
