//! Checking reads against their imagery (R15): an investigator who may see a read records
//! whether it is right, misread (with the corrected plate; the plate as read is kept), a
//! suspected cloned or switched plate, or unreadable. The latest outcome and correction sit on
//! the read, so searches for the corrected plate find it (R16); every verification is kept as
//! its history and audited (R21).

use crate::access::Investigator;
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::error::AppResult;
use crate::gate::{Reached, Under};
use crate::store::{decode, Db, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::verification::{NewVerification, Verdict, VerificationView, VerifiedRead};
use shared::AuditAction;
use sqlx::Row;

/// A read's verifications, oldest first.
pub async fn history(db: &Db, reached: &Reached) -> Result<Vec<VerificationView>, sqlx::Error> {
    let read_id = reached.read().id;
    let rows = sqlx::query(
        "SELECT v.id, v.read_id, v.verdict, v.plate_before, v.corrected_plate, v.reason, v.verified_at, \
         u.display_name FROM verifications v JOIN users u ON u.id = v.verified_by WHERE v.read_id = $1 ORDER BY v.id",
    )
    .bind(read_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let verdict: String = row.try_get("verdict")?;
            Ok(VerificationView {
                id: row.try_get("id")?,
                read_id: row.try_get("read_id")?,
                verdict: decode("verdict", &verdict, Verdict::parse)?,
                plate_before: row.try_get("plate_before")?,
                corrected_plate: row.try_get("corrected_plate")?,
                reason: row.try_get("reason")?,
                verified_by: row.try_get("display_name")?,
                verified_at: from_millis(row.try_get("verified_at")?),
            })
        })
        .collect()
}

/// Records `user`'s verification of a read they reached through a search or watch (R15), and
/// returns the read with its history. Only investigators verify (the signature says so); the gate has already held the
/// read to their reach and restrictions (R12, R13).
pub async fn verify(
    db: &Db,
    now: DateTime<Utc>,
    user: &Investigator,
    reached: Reached,
    new: NewVerification,
) -> AppResult<VerifiedRead> {
    let read = reached.read();
    let id = read.id;
    new.check(&read.plate)?;
    let corrected = new.corrected_plate.as_ref();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO verifications (read_id, read_captured_at, verified_by, verified_at, verdict, plate_before, \
         corrected_plate, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(to_millis(read.captured_at))
    .bind(user.id)
    .bind(to_millis(now))
    .bind(new.verdict.as_str())
    .bind(read.best_plate())
    .bind(corrected.map(|p| p.as_str()))
    .bind(new.reason())
    .execute(tx.conn())
    .await?;
    crate::reads::write::record_verdict(&mut tx, id, read.captured_at, new.verdict, corrected).await?;
    let mut details = json!({
        "verdict": new.verdict,
        "plate": read.plate,
        "plate_before": read.best_plate(),
        "corrected_plate": corrected,
        "reason": new.reason(),
    });
    if let Under::Search { search_id, reference } = reached.under() {
        details["search_id"] = json!(search_id);
        details["request"] = json!(reference);
    }
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(user), AuditAction::ReadVerified).subject(format!("read {id}")).details(details),
    )
    .await?;
    tx.commit().await?;
    let reached = reached.refreshed(db).await?;
    let history = history(db, &reached).await?;
    Ok(VerifiedRead { read: reached.read().clone(), history })
}

/// Blanks what verifications of reads captured before `cutoff` say of the read (its plates and
/// the reason), keeping the outcome the yearly figures count (R18, R23). Returns how many.
pub(crate) async fn blank_before(tx: &mut Tx, cutoff: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE verifications SET plate_before = NULL, corrected_plate = NULL, reason = NULL \
         WHERE read_captured_at < $1 AND (plate_before IS NOT NULL OR corrected_plate IS NOT NULL OR reason IS NOT NULL)",
    )
    .bind(to_millis(cutoff))
    .execute(tx.conn())
    .await?
    .rows_affected())
}
