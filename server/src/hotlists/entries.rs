//! A list's entries: added one by one or imported, edited, reviewed every 14 days or lapsing
//! (R9), removed with a reason; each act audited with it (R21).

use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::HotlistConfig;
use crate::error::{AppError, AppResult};
use crate::store::{Db, Tx};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use shared::hotlists::{EntryPattern, EntryView, NewEntry};
use shared::AuditAction;
use shared::Validate;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

const ENTRY_COLUMNS: &str = "id, hotlist_id, vrm, intelligence_ref, reason, warning_markers, action, added_by, \
     added_at, reviewed_at, is_pattern, approved_at, approved_by, lapses_at, suspended_at";

/// An entry that matches reads now (R7, R9, R10): not ended, not suspended, not past its lapse,
/// and — a partial plate — approved by an inspector. The alias of `hotlist_entries` is `e`;
/// `{NOW}` is the parameter holding the time.
pub(crate) const LIVE_ENTRY: &str = "e.ended_at IS NULL AND e.suspended_at IS NULL \
     AND (e.lapses_at IS NULL OR e.lapses_at > {NOW}) AND (e.is_pattern = 0 OR e.approved_at IS NOT NULL)";

fn entry_from_row(row: &AnyRow, policy: &HotlistConfig) -> Result<EntryView, sqlx::Error> {
    let markers: String = row.try_get("warning_markers")?;
    let reviewed_at = from_millis(row.try_get("reviewed_at")?);
    let is_pattern = row.try_get::<i64, _>("is_pattern")? != 0;
    let approved_at = row.try_get::<Option<i64>, _>("approved_at")?;
    Ok(EntryView {
        id: row.try_get("id")?,
        hotlist_id: row.try_get("hotlist_id")?,
        vrm: row.try_get("vrm")?,
        intelligence_ref: row.try_get("intelligence_ref")?,
        reason: row.try_get("reason")?,
        warning_markers: serde_json::from_str(&markers).unwrap_or_default(),
        action: row.try_get("action")?,
        added_by: row.try_get("added_by")?,
        added_at: from_millis(row.try_get("added_at")?),
        reviewed_at,
        review_due: reviewed_at + Duration::days(policy.review_days),
        hits: 0,
        last_hit_at: None,
        awaiting_approval: is_pattern && approved_at.is_none(),
        approved_by: row.try_get("approved_by")?,
        lapses_at: row.try_get::<Option<i64>, _>("lapses_at")?.map(from_millis),
        suspended: row.try_get::<Option<i64>, _>("suspended_at")?.is_some(),
    })
}

/// The entries of a list not yet ended, as the people who manage them see them: without hits.
/// How often and when an entry was last seen is the audience's to know (R8), not the list's
/// managers', who are never its audience.
pub async fn entries(db: &Db, policy: &HotlistConfig, hotlist_id: i64) -> Result<Vec<EntryView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM hotlist_entries WHERE hotlist_id = $1 AND ended_at IS NULL ORDER BY vrm, id"
    ))
    .bind(hotlist_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| entry_from_row(row, policy)).collect()
}

/// Refuses a partial plate with fewer letters and digits than the policy asks (R10): a short
/// pattern would match a great many vehicles.
fn check_pattern(policy: &HotlistConfig, new: &NewEntry) -> AppResult<()> {
    if new.vrm.is_partial() && new.vrm.literals() < policy.pattern_min_literals {
        return Err(AppError::Invalid(format!(
            "vrm `{}`: a partial plate needs at least {} letters or digits besides its wildcards (it has {})",
            new.vrm.as_str(),
            policy.pattern_min_literals,
            new.vrm.literals()
        )));
    }
    Ok(())
}

/// Adds an entry. A whole plate matches at once; a partial plate waits for an inspector's
/// approval and lapses `pattern_days` after it was added (R10).
pub async fn add_entry(
    db: &Db,
    now: DateTime<Utc>,
    policy: &HotlistConfig,
    actor: Actor,
    hotlist_id: i64,
    new: NewEntry,
) -> AppResult<EntryView> {
    AppError::unless_valid(&new)?;
    check_pattern(policy, &new)?;
    let mut tx = db.begin().await?;
    require_list(&mut tx, hotlist_id).await?;
    let entry = insert_entry(&mut tx, now, policy, &actor, hotlist_id, &new).await?;
    tx.commit().await?;
    Ok(entry)
}

/// An inspector approves a partial plate with a rationale (R10, R11): from now until it lapses
/// it matches. Whoever added the entry cannot approve it.
pub async fn approve_entry(
    db: &Db,
    now: DateTime<Utc>,
    policy: &HotlistConfig,
    inspector: &crate::access::Inspector,
    entry_id: i64,
    rationale: &str,
) -> AppResult<EntryView> {
    let rationale = rationale.trim();
    if !(10..=2000).contains(&rationale.chars().count()) {
        return Err(AppError::Invalid("a rationale of 10 to 2000 characters is required, as for a request".into()));
    }
    let mut tx = db.begin().await?;
    let current = live_entry(&mut tx, policy, entry_id).await?;
    if !current.awaiting_approval {
        return Err(AppError::Conflict(format!("entry {entry_id} is not a partial plate awaiting approval")));
    }
    if current.added_by == inspector.username.as_str() {
        return Err(AppError::Forbidden("an entry is approved by someone other than who added it".into()));
    }
    let row = sqlx::query(&format!(
        "UPDATE hotlist_entries SET approved_at = $1, approved_by = $2, approval_rationale = $3 \
         WHERE id = $4 AND approved_at IS NULL RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(to_millis(now))
    .bind(inspector.username.as_str())
    .bind(rationale)
    .bind(entry_id)
    .fetch_one(tx.conn())
    .await?;
    let entry = entry_from_row(&row, policy)?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(inspector), AuditAction::HotlistEntryApproved)
            .subject(format!("hotlist {} entry {entry_id}", entry.hotlist_id))
            .details(json!({ "vrm": entry.vrm, "rationale": rationale, "lapses_at": entry.lapses_at })),
    )
    .await?;
    tx.commit().await?;
    Ok(entry)
}

async fn live_entry(tx: &mut Tx, policy: &HotlistConfig, entry_id: i64) -> AppResult<EntryView> {
    sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM hotlist_entries WHERE id = $1 AND ended_at IS NULL"))
        .bind(entry_id)
        .fetch_optional(tx.conn())
        .await?
        .map(|row| entry_from_row(&row, policy))
        .transpose()?
        .ok_or_else(|| AppError::NotFound(format!("no live hotlist entry with id {entry_id}")))
}

async fn require_list(tx: &mut Tx, hotlist_id: i64) -> AppResult<()> {
    let exists =
        sqlx::query("SELECT 1 AS one FROM hotlists WHERE id = $1").bind(hotlist_id).fetch_optional(tx.conn()).await?;
    exists.map(|_| ()).ok_or_else(|| AppError::NotFound(format!("no hotlist with id {hotlist_id}")))
}

async fn insert_entry(
    tx: &mut Tx,
    now: DateTime<Utc>,
    policy: &HotlistConfig,
    actor: &Actor,
    hotlist_id: i64,
    new: &NewEntry,
) -> AppResult<EntryView> {
    if let Some(held) = live_entry_for(tx, hotlist_id, new.vrm.as_str()).await? {
        return Err(AppError::Conflict(format!(
            "hotlist {hotlist_id} already holds {} as entry {held}: edit that entry's markers and action instead \
             of adding a second one, so that no alert shows one without the other's warnings",
            new.vrm.as_str()
        )));
    }
    let partial = new.vrm.is_partial();
    let lapses_at = partial.then(|| to_millis(now + Duration::days(policy.pattern_days)));
    let row = sqlx::query(&format!(
        "INSERT INTO hotlist_entries (hotlist_id, vrm, intelligence_ref, reason, warning_markers, action, added_by, \
         added_at, reviewed_at, is_pattern, lapses_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) \
         RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(hotlist_id)
    .bind(new.vrm.as_str())
    .bind(new.intelligence_ref.trim())
    .bind(new.reason.trim())
    .bind(json!(new.warning_markers).to_string())
    .bind(new.action.trim())
    .bind(&actor.name)
    .bind(to_millis(now))
    .bind(i64::from(partial))
    .bind(lapses_at)
    .fetch_one(tx.conn())
    .await?;
    let entry = entry_from_row(&row, policy)?;
    audit::record(
        tx,
        now,
        Event::new(actor.clone(), AuditAction::HotlistEntryAdded)
            .subject(format!("hotlist {hotlist_id} entry {}", entry.id))
            .details(json!({ "vrm": entry.vrm, "intelligence_ref": entry.intelligence_ref, "reason": entry.reason,
                             "awaiting_approval": entry.awaiting_approval, "lapses_at": entry.lapses_at })),
    )
    .await?;
    Ok(entry)
}

/// The live entry of `hotlist_id` for `vrm`, if there is one: a list holds each plate once, so
/// that an alert on it carries all its warnings (R6, R8).
async fn live_entry_for(tx: &mut Tx, hotlist_id: i64, vrm: &str) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("SELECT id FROM hotlist_entries WHERE hotlist_id = $1 AND vrm = $2 AND ended_at IS NULL")
        .bind(hotlist_id)
        .bind(vrm)
        .fetch_optional(tx.conn())
        .await?;
    row.map(|r| r.try_get("id")).transpose()
}

/// One CSV row, as imported.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvRow {
    vrm: String,
    intelligence_ref: String,
    reason: String,
    #[serde(default)]
    warning_markers: String,
    #[serde(default)]
    action: String,
}

/// An import's rows: each good row's line and entry, and each refused row with its reason.
type CsvRows = (Vec<(u64, NewEntry)>, Vec<shared::hotlists::RefusedRow>);

/// The rows of an import's CSV. A header without the needed columns refuses the whole file.
fn parse_csv(csv_text: &[u8]) -> AppResult<CsvRows> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(csv_text);
    let headers = reader.headers().map_err(|e| AppError::Invalid(format!("the CSV cannot be read: {e}")))?.clone();
    for needed in ["vrm", "intelligence_ref", "reason"] {
        if !headers.iter().any(|h| h == needed) {
            return Err(AppError::Invalid(format!(
                "the CSV header lacks `{needed}` (expected vrm,intelligence_ref,reason,warning_markers,action)"
            )));
        }
    }
    let mut good = Vec::new();
    let mut refused = Vec::new();
    for record in reader.records() {
        let (line, parsed) = match record {
            Err(e) => (e.position().map_or(0, |p| p.line()), Err(e.to_string())),
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                let parsed = record.deserialize::<CsvRow>(Some(&headers)).map_err(|e| e.to_string()).and_then(|row| {
                    let vrm = EntryPattern::parse(&row.vrm).map_err(|e| format!("vrm `{}`: {e}", row.vrm))?;
                    if vrm.is_partial() {
                        return Err(format!(
                            "vrm `{}`: an import carries whole plates only; add a partial plate on its own, \
                             for an inspector's approval",
                            row.vrm
                        ));
                    }
                    let new = NewEntry {
                        vrm,
                        intelligence_ref: row.intelligence_ref,
                        reason: row.reason,
                        warning_markers: row
                            .warning_markers
                            .split(';')
                            .map(str::trim)
                            .filter(|m| !m.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        action: row.action,
                    };
                    new.check()?;
                    Ok(new)
                });
                (line, parsed)
            }
        };
        match parsed {
            Ok(new) => good.push((line, new)),
            Err(reason) => refused.push(shared::hotlists::RefusedRow { line, reason }),
        }
    }
    Ok((good, refused))
}

/// Imports entries from CSV with a header `vrm,intelligence_ref,reason,warning_markers,action`
/// (markers separated by `;`). Good rows are added in one transaction, each audited; the report
/// names every refused row by its line and why. Imports carry whole plates only: a partial
/// plate is added on its own, for an inspector to approve (R10).
pub async fn import_csv(
    db: &Db,
    now: DateTime<Utc>,
    policy: &HotlistConfig,
    actor: Actor,
    hotlist_id: i64,
    csv_text: &[u8],
) -> AppResult<(shared::hotlists::ImportReport, Vec<EntryView>)> {
    let (good, refused) = parse_csv(csv_text)?;
    let mut report = shared::hotlists::ImportReport { refused, ..Default::default() };
    let mut tx = db.begin().await?;
    require_list(&mut tx, hotlist_id).await?;
    let mut added = Vec::with_capacity(good.len());
    // A plate already on the list, or twice in the file, is refused by name (R6, R8).
    let rows = sqlx::query("SELECT id, vrm FROM hotlist_entries WHERE hotlist_id = $1 AND ended_at IS NULL")
        .bind(hotlist_id)
        .fetch_all(tx.conn())
        .await?;
    let held: HashMap<String, i64> =
        rows.iter().map(|r| Ok((r.try_get("vrm")?, r.try_get("id")?))).collect::<Result<_, sqlx::Error>>()?;
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for (line, new) in &good {
        let vrm = new.vrm.as_str();
        let why = match (held.get(vrm), first_line.get(vrm)) {
            (Some(entry), _) => Some(format!("vrm `{vrm}` is already on this list as entry {entry}")),
            (None, Some(first)) => Some(format!("vrm `{vrm}` repeats line {first}")),
            (None, None) => None,
        };
        match why {
            Some(reason) => report.refused.push(shared::hotlists::RefusedRow { line: *line, reason }),
            None => {
                first_line.insert(vrm.to_owned(), *line);
                added.push(insert_entry(&mut tx, now, policy, &actor, hotlist_id, new).await?);
            }
        }
    }
    report.refused.sort_by_key(|r| r.line);
    tx.commit().await?;
    report.added = added.len();
    Ok((report, added))
}

/// Changes an entry's particulars, recording before and after (R21).
pub async fn update_entry(
    db: &Db,
    now: DateTime<Utc>,
    policy: &HotlistConfig,
    actor: Actor,
    entry_id: i64,
    change: shared::hotlists::EntryUpdate,
) -> AppResult<EntryView> {
    let mut tx = db.begin().await?;
    let current = live_entry(&mut tx, policy, entry_id).await?;
    let next = change.apply(&current).map_err(AppError::Invalid)?;
    let row = sqlx::query(&format!(
        "UPDATE hotlist_entries SET intelligence_ref = $1, reason = $2, warning_markers = $3, action = $4 \
         WHERE id = $5 RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(next.intelligence_ref.trim())
    .bind(next.reason.trim())
    .bind(json!(next.warning_markers).to_string())
    .bind(next.action.trim())
    .bind(entry_id)
    .fetch_one(tx.conn())
    .await?;
    let updated = entry_from_row(&row, policy)?;
    let particulars = |e: &EntryView| json!({ "intelligence_ref": e.intelligence_ref, "reason": e.reason, "warning_markers": e.warning_markers, "action": e.action });
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::HotlistEntryEdited)
            .subject(format!("entry {entry_id}"))
            .details(json!({ "vrm": current.vrm, "before": particulars(&current), "after": particulars(&updated) })),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Ends an entry so it stops matching: removed by an admin (with why), or lapsed unreviewed.
pub async fn remove_entry(db: &Db, now: DateTime<Utc>, actor: Actor, entry_id: i64, why: &str) -> AppResult<()> {
    shared::hotlists::RemoveEntry { reason: why.to_owned() }.check().map_err(AppError::Invalid)?;
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE hotlist_entries SET ended_at = $1, ended_how = 'removed' WHERE id = $2 AND ended_at IS NULL",
    )
    .bind(to_millis(now))
    .bind(entry_id)
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("no live hotlist entry with id {entry_id}")));
    }
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::HotlistEntryRemoved)
            .subject(format!("entry {entry_id}"))
            .details(json!({ "reason": why.trim() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Lapses every entry not reviewed within `review_days` (R9), and every partial plate past its
/// lapse; returns the ids lapsed.
pub async fn lapse_overdue(db: &Db, now: DateTime<Utc>, policy: &HotlistConfig) -> Result<Vec<i64>, sqlx::Error> {
    let cutoff = to_millis(now - Duration::days(policy.review_days));
    let mut tx = db.begin().await?;
    let rows = sqlx::query(
        "UPDATE hotlist_entries SET ended_at = $1, ended_how = 'lapsed' \
         WHERE ended_at IS NULL AND (reviewed_at <= $2 OR lapses_at <= $1) RETURNING id",
    )
    .bind(to_millis(now))
    .bind(cutoff)
    .fetch_all(tx.conn())
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
    if !ids.is_empty() {
        audit::record(
            &mut tx,
            now,
            Event::new(Actor::system(), AuditAction::HotlistEntriesLapsed).details(json!({ "entries": ids })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ids)
}

/// Records a review (R9): the entry stays, with why, and is next due 14 days from now.
pub async fn review_entry(
    db: &Db,
    now: DateTime<Utc>,
    policy: &HotlistConfig,
    actor: Actor,
    entry_id: i64,
    justification: &str,
) -> AppResult<EntryView> {
    shared::hotlists::ReviewEntry { justification: justification.to_owned() }.check().map_err(AppError::Invalid)?;
    let justification = justification.trim();
    let mut tx = db.begin().await?;
    let row = sqlx::query(&format!(
        "UPDATE hotlist_entries SET reviewed_at = $1 WHERE id = $2 AND ended_at IS NULL RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(to_millis(now))
    .bind(entry_id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::NotFound(format!("no live hotlist entry with id {entry_id}")))?;
    let entry = entry_from_row(&row, policy)?;
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::HotlistEntryReviewed)
            .subject(format!("entry {entry_id}"))
            .details(json!({ "justification": justification, "next_due": entry.review_due })),
    )
    .await?;
    tx.commit().await?;
    Ok(entry)
}

/// Live entries due for review within `days` (overdue ones included), soonest first.
pub async fn due_for_review(
    db: &Db,
    now: DateTime<Utc>,
    policy: &HotlistConfig,
    days: i64,
) -> Result<Vec<EntryView>, sqlx::Error> {
    let reviewed_before = to_millis(now + Duration::days(days) - Duration::days(policy.review_days));
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM hotlist_entries WHERE ended_at IS NULL AND reviewed_at <= $1 ORDER BY reviewed_at, id"
    ))
    .bind(reviewed_before)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| entry_from_row(row, policy)).collect()
}

/// Partial plates awaiting an inspector's approval (R10), oldest first.
pub async fn awaiting_approval(db: &Db, policy: &HotlistConfig) -> Result<Vec<EntryView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM hotlist_entries \
         WHERE ended_at IS NULL AND is_pattern = 1 AND approved_at IS NULL ORDER BY added_at, id"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|row| entry_from_row(row, policy)).collect()
}

#[cfg(test)]
mod tests {
    use super::parse_csv;
    use crate::error::AppError;
    use proptest::prelude::*;
    use shared::Validate;

    const GOOD: &str = "vrm,intelligence_ref,reason,warning_markers,action\n\
                        AB12CDE,INT-1,stolen vehicle,FIREARMS;VIOLENT,stop\n\
                        XY99ZZZ,INT-2,wanted driver,,\n";

    #[test]
    fn a_good_file_gives_each_row_with_its_line() {
        let (good, refused) = parse_csv(GOOD.as_bytes()).expect("a good file");
        assert!(refused.is_empty(), "{refused:?}");
        let rows: Vec<(u64, &str)> = good.iter().map(|(line, e)| (*line, e.vrm.as_str())).collect();
        assert_eq!(rows, vec![(2, "AB12CDE"), (3, "XY99ZZZ")]);
        assert_eq!(good[0].1.warning_markers, vec!["FIREARMS".to_owned(), "VIOLENT".to_owned()]);
    }

    /// Whatever the file, the import answers with rows it can take and rows it names as refused,
    /// or refuses the file with a reason; it never panics, and never takes a row that would not
    /// pass the form's own checks, nor a partial plate (R10).
    fn holds(bytes: &[u8]) -> Result<(), TestCaseError> {
        match parse_csv(bytes) {
            Ok((good, refused)) => {
                for (_, entry) in &good {
                    prop_assert!(entry.check().is_ok(), "{entry:?}");
                    prop_assert!(!entry.vrm.is_partial());
                }
                for row in &refused {
                    prop_assert!(!row.reason.trim().is_empty());
                }
            }
            Err(e) => prop_assert!(matches!(e, AppError::Invalid(ref why) if !why.is_empty()), "{e:?}"),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_are_answered(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            holds(&bytes)?;
        }

        #[test]
        fn a_mutated_good_file_is_answered(edits in proptest::collection::vec((0..GOOD.len(), any::<u8>()), 1..8),
                                           cut in 0..=GOOD.len()) {
            let mut bytes = GOOD.as_bytes().to_vec();
            for (at, byte) in edits {
                bytes[at] = byte;
            }
            bytes.truncate(cut.max(1));
            holds(&bytes)?;
        }

        #[test]
        fn cells_of_any_text_are_answered(vrm in "\\PC{0,12}", reference in "\\PC{0,40}", reason in "\\PC{0,40}",
                                          markers in "[A-Z;, ]{0,30}", action in "\\PC{0,20}") {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(["vrm", "intelligence_ref", "reason", "warning_markers", "action"]).unwrap();
            writer.write_record([&vrm, &reference, &reason, &markers, &action]).unwrap();
            holds(&writer.into_inner().unwrap())?;
        }
    }
}
