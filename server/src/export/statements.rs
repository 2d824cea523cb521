//! Evidential statements (R14): a separate output from the intelligence spreadsheet. The
//! investigator asks for one over chosen reads of a search they ran, a supervisor other than
//! them approves or rejects it, and only then may they produce the PDF — itself recorded as a
//! disclosure with its recipient (R20, R21).

use super::pdf::{render, Block};
use super::{record, review_by, time, Disclosure, ExportFile};
use crate::access::{Capability, Investigator, Supervisor};
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::AccessConfig;
use crate::error::{AppError, AppResult};
use crate::search;
use crate::store::{decode, Db};
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::export::{
    check_recipient, ExportFormat, ExportKind, NewStatement, Recipient, StatementDecision, StatementStatus,
    StatementView, MARKING, REVIEW_BY,
};
use shared::AuditAction;
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "t.id, t.search_id, q.reference, u.display_name AS requester, t.requester_id, t.read_ids, \
     t.reason, t.requested_at, t.status, d.display_name AS decided_by, t.decided_at, t.rationale";
const FROM: &str = "statements t JOIN searches s ON s.id = t.search_id JOIN requests q ON q.id = s.request_id \
     JOIN users u ON u.id = t.requester_id LEFT JOIN users d ON d.id = t.decided_by";

fn from_row(row: &AnyRow) -> Result<StatementView, sqlx::Error> {
    let ids: String = row.try_get("read_ids")?;
    let status: String = row.try_get("status")?;
    Ok(StatementView {
        id: row.try_get("id")?,
        search_id: row.try_get("search_id")?,
        reference: row.try_get("reference")?,
        requester: row.try_get("requester")?,
        read_ids: serde_json::from_str(&ids)
            .map_err(|e| sqlx::Error::ColumnDecode { index: "read_ids".into(), source: e.into() })?,
        reason: row.try_get("reason")?,
        requested_at: from_millis(row.try_get("requested_at")?),
        status: decode("status", &status, StatementStatus::parse)?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(from_millis),
        rationale: row.try_get("rationale")?,
    })
}

async fn find(db: &Db, id: i64) -> Result<Option<(StatementView, i64)>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((from_row(&r)?, r.try_get("requester_id")?))).transpose()
}

pub async fn request(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    user: &Investigator,
    new: NewStatement,
) -> AppResult<StatementView> {
    new.check()?;
    let (permitted, _) = search::reopen(db, now, policy, user, new.search_id).await?;
    search::among(db, &permitted, &new.read_ids).await?;
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO statements (search_id, requester_id, read_ids, reason, requested_at, status) \
         VALUES ($1, $2, $3, $4, $5, 'pending') RETURNING id",
    )
    .bind(new.search_id)
    .bind(user.id)
    .bind(serde_json::to_string(&new.read_ids).map_err(AppError::internal)?)
    .bind(new.reason.trim())
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await?
    .try_get("id")?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(user), AuditAction::StatementRequested).subject(permitted.reference()).details(json!({
            "statement_id": id,
            "search_id": new.search_id,
            "read_ids": new.read_ids,
            "reason": new.reason.trim(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(find(db, id).await?.expect("just stored").0)
}

/// The investigator's own statements, newest first.
pub async fn mine(db: &Db, investigator: &Investigator) -> AppResult<Vec<StatementView>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE t.requester_id = $1 ORDER BY t.id DESC"))
        .bind(investigator.id)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// The pending statements a supervisor may decide: any but their own (R14).
pub async fn pending(db: &Db, supervisor: &Supervisor) -> AppResult<Vec<StatementView>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE t.status = 'pending' AND t.requester_id <> $1 ORDER BY t.id"
    ))
    .bind(supervisor.id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// Pending statement `id`, if `supervisor` may decide it (any but their own, R14), with the id
/// of the investigator who asked for it.
pub async fn to_decide(db: &Db, supervisor: &Supervisor, id: i64) -> AppResult<(StatementView, i64)> {
    match find(db, id).await? {
        Some((statement, requester)) if statement.status == StatementStatus::Pending && requester != supervisor.id => {
            Ok((statement, requester))
        }
        Some((_, requester)) if requester == supervisor.id => {
            Err(AppError::Forbidden("nobody decides their own statement".into()))
        }
        Some(_) => Err(AppError::Conflict(format!("statement {id} has already been decided"))),
        None => Err(AppError::NotFound(format!("no statement with id {id}"))),
    }
}

/// The search a statement's reads come from, as its requester may run it now: refused when
/// they are disabled or no longer an investigator, or their request no longer permits it.
pub(crate) async fn requester_search(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    requester_id: i64,
    search_id: i64,
) -> AppResult<search::Permitted> {
    let mut conn = db.pool().acquire().await?;
    let requester = crate::access::users::find(&mut conn, requester_id).await?.and_then(|u| Investigator::of(u).ok());
    drop(conn);
    let requester = requester.ok_or_else(|| {
        AppError::Forbidden("its requester is disabled or no longer holds the investigator role".into())
    })?;
    Ok(search::reopen(db, now, policy, &requester, search_id).await?.0)
}

pub async fn decide(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    supervisor: &Supervisor,
    id: i64,
    decision: StatementDecision,
) -> AppResult<StatementView> {
    let (statement, requester_id) =
        find(db, id).await?.ok_or_else(|| AppError::NotFound(format!("no statement with id {id}")))?;
    if requester_id == supervisor.id {
        return Err(AppError::Forbidden("nobody approves their own statement".into()));
    }
    decision.check().map_err(AppError::Invalid)?;
    // Only what may still be searched is approved for production; a rejection closes it anyway.
    if decision.approve {
        requester_search(db, now, policy, requester_id, statement.search_id).await?;
    }
    let status = if decision.approve { StatementStatus::Approved } else { StatementStatus::Rejected };
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE statements SET status = $1, decided_by = $2, decided_at = $3, rationale = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(supervisor.id)
    .bind(to_millis(now))
    .bind(decision.rationale.trim())
    .bind(id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(AppError::Conflict(format!("statement {id} has already been decided")));
    }
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(supervisor), AuditAction::StatementDecided)
            .subject(&statement.reference)
            .details(json!({ "statement_id": id, "status": status.as_str(), "rationale": decision.rationale.trim() })),
    )
    .await?;
    tx.commit().await?;
    Ok(find(db, id).await?.expect("just decided").0)
}

/// The approved statement `id` as a PDF for `to`, produced by the investigator who asked for it.
pub async fn produce(
    db: &Db,
    now: DateTime<Utc>,
    config: &crate::config::Config,
    user: &Investigator,
    id: i64,
    to: Recipient,
) -> AppResult<ExportFile> {
    check_recipient(&to.recipient)?;
    let (statement, _) = find(db, id)
        .await?
        .filter(|(_, by)| *by == user.id)
        .ok_or_else(|| AppError::NotFound(format!("you asked for no statement with id {id}")))?;
    match statement.status {
        StatementStatus::Approved => {}
        StatementStatus::Pending => {
            return Err(AppError::Forbidden(format!("statement {id} awaits a supervisor's approval")))
        }
        StatementStatus::Rejected => return Err(AppError::Forbidden(format!("statement {id} was rejected"))),
    }
    let (permitted, _) = search::reopen(db, now, &config.access, user, statement.search_id).await?;
    let reads = search::among(db, &permitted, &statement.read_ids).await?;
    let reference = format!("{}/S{id}", statement.reference);
    let review_by = review_by(config, now);
    let mut blocks = vec![
        Block::Title("Witness statement: ANPR reads".into()),
        Block::Gap,
        Block::Text(format!("Statement reference: {reference}")),
        Block::Text(format!("Statement of: {} ({})", user.display_name, user.username)),
        Block::Text(format!("Search request: {}", statement.reference)),
        Block::Text(format!(
            "Approved by {} at {} UTC: {}",
            statement.decided_by.as_deref().unwrap_or("?"),
            statement.decided_at.map(time).unwrap_or_default(),
            statement.rationale.as_deref().unwrap_or("")
        )),
        Block::Text(format!("Produced for: {} at {} UTC", to.recipient.trim(), time(now))),
        Block::Text(format!(
            "{REVIEW_BY}: {} (the producer is asked then whether it is still needed)",
            time(review_by)
        )),
        Block::Gap,
        Block::Text(format!(
            "I am an investigator authorised to search the ANPR reads held by this force. Under search request \
             {} I searched the reads held and found the {} reads listed below. Each was recorded by the camera \
             named, at the place and time (UTC) given. The plate is given as the camera read it; where a read was \
             checked against its images, the outcome and any corrected plate are given.",
            statement.reference,
            reads.len()
        )),
        Block::Gap,
        Block::Heading("Read | captured (UTC) | plate as read | verification | camera (lat, lon)".into()),
    ];
    for r in &reads {
        let checked = match (r.verdict, &r.corrected_plate) {
            (Some(v), Some(p)) => format!("{} as {p}", v.label()),
            (Some(v), None) => v.label().to_owned(),
            (None, _) => "not checked".into(),
        };
        blocks.push(Block::Row(format!(
            "{} | {} | {} | {} | {} ({:.5}, {:.5})",
            r.id,
            time(r.captured_at),
            r.plate,
            checked,
            r.camera_name,
            r.lat,
            r.lon
        )));
    }
    blocks.extend([
        Block::Gap,
        Block::Text(format!("Why this statement was asked for: {}", statement.reason)),
        Block::Gap,
        Block::Text(
            "I make this statement believing its contents to be true, knowing that it may be tendered in evidence."
                .into(),
        ),
        Block::Gap,
        Block::Text("Signed: ______________________    Date: ______________".into()),
    ]);
    let bytes = render(&format!("Witness statement {reference}"), MARKING, &blocks);
    let disclosure = Disclosure {
        kind: ExportKind::Statement,
        search_id: Some(statement.search_id),
        request_id: Some(permitted.request_id),
        reference: permitted.reference(),
        format: ExportFormat::Pdf.as_str(),
        recipient: &to.recipient,
        transfer: to.transfer,
        rows: reads.len(),
        statement_id: Some(id),
        review_by,
    };
    record(db, now, user, disclosure).await?;
    Ok(ExportFile { format: ExportFormat::Pdf, filename: format!("statement-{id}.pdf"), bytes })
}
