//! Alerts: who receives them (R8, R13), their decisions, and their way to the live streams.

use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::error::{AppError, AppResult};
use crate::store::{decode, Db, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::hotlists::{AlertView, HotlistKind, MatchKind, Outcome};
use shared::AuditAction;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::sync::Arc;

/// The live alert stream of this server: every alert raised or announced goes out on it, and
/// each subscriber takes only those whose audience they are in.
pub type AlertStream = tokio::sync::broadcast::Sender<Arc<AlertView>>;

/// An alert with its list, entry and read. The alert's part — coordinator tables on Citus —
/// is a subquery of its own, narrowed by `{ALERT_WHERE}`, which is joined to the read: Citus
/// joins the coordinator's tables to `reads` only as a whole result, not row by row.
const ALERT_SELECT: &str = "SELECT a.alert_id, a.hotlist_id, a.hotlist_name, a.kind, a.match_kind, a.raised_at, \
     a.decision, a.decision_reason, a.decided_by, a.decided_at, a.entry_vrm, a.warning_markers, a.action, {READ} \
     FROM (SELECT a.id AS alert_id, a.read_id, a.hotlist_id, h.name AS hotlist_name, h.kind, a.match_kind, \
     a.raised_at, a.decision, a.decision_reason, a.decided_by, a.decided_at, e.vrm AS entry_vrm, e.warning_markers, \
     e.action FROM alerts a JOIN hotlists h ON h.id = a.hotlist_id JOIN hotlist_entries e ON e.id = a.entry_id \
     WHERE {ALERT_WHERE}) a JOIN reads r ON r.id = a.read_id JOIN cameras c ON c.id = r.camera_id";

/// Whether `user_id`, as they are now, is in the audience of `hotlist_id` (R8): an active
/// investigator — the people who act on alerts — who holds the list's role or is one of its
/// members, and who does not manage hotlists (a list's managers are never its audience: an
/// entry is not a way to search without a request, R10). Every way an alert leaves the server
/// asks this.
const IN_AUDIENCE: &str = "EXISTS (SELECT 1 FROM users u JOIN user_roles inv ON inv.user_id = u.id \
     AND inv.role = 'investigator' WHERE u.id = $1 AND u.disabled_at IS NULL \
     AND NOT EXISTS (SELECT 1 FROM user_roles adm WHERE adm.user_id = u.id AND adm.role = 'hotlist_admin') \
     AND (EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role = h.audience_role) \
          OR EXISTS (SELECT 1 FROM hotlist_members m WHERE m.hotlist_id = h.id AND m.user_id = u.id)))";

/// Whether `$1` received the alert when it was raised and has stood in its audience since
/// (R8): an investigator since before it, active since before it, and either holding since
/// before it the role the alert was raised for, or one of its recipients (a members audience)
/// who is still a member from before it — or whose list has since become the whole role's. A
/// member removed and added again, an account switched off and on, a role taken away and given
/// back: none reaches back to what was raised before.
const RECEIVED: &str = "EXISTS (SELECT 1 FROM users ru \
     JOIN user_roles gi ON gi.user_id = ru.id AND gi.role = 'investigator' AND gi.granted_at <= a.raised_at \
     WHERE ru.id = $1 AND ru.active_since <= a.raised_at \
     AND (EXISTS (SELECT 1 FROM user_roles gr WHERE gr.user_id = ru.id AND gr.role = a.audience_role \
                  AND gr.granted_at <= a.raised_at) \
          OR (EXISTS (SELECT 1 FROM alert_recipients ar WHERE ar.alert_id = a.id AND ar.user_id = ru.id) \
              AND (h.audience_role IS NOT NULL \
                   OR EXISTS (SELECT 1 FROM hotlist_members rm WHERE rm.hotlist_id = a.hotlist_id \
                              AND rm.user_id = ru.id AND rm.added_at <= a.raised_at)))))";

/// Whether the alert's read is from a camera `$1` is not restricted from (R13): an alert from
/// such a camera does not reach them.
const NOT_RESTRICTED: &str =
    "NOT EXISTS (SELECT 1 FROM user_denied_cameras dc WHERE dc.user_id = $1 AND dc.camera_id = r.camera_id)";

fn alert_from_row(row: &AnyRow) -> Result<AlertView, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let match_kind: String = row.try_get("match_kind")?;
    let markers: String = row.try_get("warning_markers")?;
    let decision = match row.try_get::<Option<String>, _>("decision")? {
        Some(outcome) => Some(shared::hotlists::DecisionView {
            outcome: decode("decision", &outcome, Outcome::parse)?,
            reason: row.try_get::<Option<String>, _>("decision_reason")?.unwrap_or_default(),
            decided_by: row.try_get::<Option<String>, _>("decided_by")?.unwrap_or_default(),
            decided_at: from_millis(row.try_get::<Option<i64>, _>("decided_at")?.unwrap_or_default()),
        }),
        None => None,
    };
    Ok(AlertView {
        id: row.try_get("alert_id")?,
        hotlist_id: row.try_get("hotlist_id")?,
        hotlist_name: row.try_get("hotlist_name")?,
        kind: decode("kind", &kind, HotlistKind::parse)?,
        match_kind: decode("match_kind", &match_kind, MatchKind::parse)?,
        entry_vrm: row.try_get("entry_vrm")?,
        warning_markers: serde_json::from_str(&markers).unwrap_or_default(),
        action: row.try_get("action")?,
        raised_at: from_millis(row.try_get("raised_at")?),
        read: crate::reads::read_from_row(row)?,
        decision,
    })
}

/// [`ALERT_SELECT`] with the alert's part narrowed by `alert_where`.
fn alert_select(alert_where: &str) -> String {
    ALERT_SELECT.replace("{READ}", crate::reads::READ_COLUMNS).replace("{ALERT_WHERE}", alert_where)
}

/// The alerts `user_id` received and is still in the audience of (R8), newest first, on reads captured since
/// `cutoff` (R12, R18: nothing past retention, whatever the purge has done).
pub async fn alerts_for(db: &Db, user_id: i64, cutoff: DateTime<Utc>, limit: i64) -> AppResult<Vec<AlertView>> {
    let rows = sqlx::query(&format!(
        "{} WHERE {NOT_RESTRICTED} AND r.captured_at >= $3 ORDER BY a.alert_id DESC LIMIT $2",
        alert_select(&format!("{IN_AUDIENCE} AND {RECEIVED}"))
    ))
    .bind(user_id)
    .bind(limit)
    .bind(to_millis(cutoff))
    .fetch_all(db.pool())
    .await?;
    let alerts = rows.iter().map(alert_from_row).collect::<Result<Vec<_>, _>>()?;
    open_to_their_purpose(db, alerts).await
}

/// The alerts whose read's source allows their list's purpose as its basis stands now: an act
/// dated back may have taken it away since the alert was raised (R3, R10).
async fn open_to_their_purpose(db: &Db, alerts: Vec<AlertView>) -> AppResult<Vec<AlertView>> {
    if alerts.is_empty() {
        return Ok(alerts);
    }
    let sources = crate::cameras::purposes::Sources::load(&mut *db.pool().acquire().await?).await?;
    let mut purposes = std::collections::HashMap::new();
    let mut open = Vec::with_capacity(alerts.len());
    for alert in alerts {
        let purpose = match purposes.get(&alert.hotlist_id) {
            Some(purpose) => *purpose,
            None => *purposes.entry(alert.hotlist_id).or_insert(super::purpose_of(db, alert.hotlist_id).await?),
        };
        if sources.allows(alert.read.camera_id, to_millis(alert.read.captured_at), purpose) {
            open.push(alert);
        }
    }
    Ok(open)
}

/// One alert, if `user_id` received it, is still in its audience and is not restricted from its
/// camera; `None` both when it does not exist and when the user may not see it, so that nobody
/// learns of an alert outside their audience.
pub async fn alert_for(db: &Db, user_id: i64, alert_id: i64) -> Result<Option<AlertView>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "{} WHERE {NOT_RESTRICTED}",
        alert_select(&format!("{IN_AUDIENCE} AND {RECEIVED} AND a.id = $2"))
    ))
    .bind(user_id)
    .bind(alert_id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(alert_from_row).transpose()
}

/// Alerts by id, for the live stream (each subscriber's audience is checked as it is sent).
pub async fn alerts_by_id(db: &Db, ids: &[i64]) -> Result<Vec<AlertView>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = (1..=chunk.len()).map(|i| db.backend().parameter(i)).collect::<Vec<_>>().join(",");
        let query_text = format!("{} ORDER BY a.alert_id", alert_select(&format!("a.id IN ({list})")));
        let mut query = sqlx::query(&query_text);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(db.pool()).await? {
            out.push(alert_from_row(&row)?);
        }
    }
    Ok(out)
}

/// Records the recipient's decision on a hit (once; the first decision stands). An alert on a
/// read past retention is not one anyone may act on (R12, R18).
pub async fn decide(
    db: &Db,
    now: DateTime<Utc>,
    cutoff: DateTime<Utc>,
    user: &crate::access::Investigator,
    alert_id: i64,
    decision: shared::hotlists::AlertDecision,
) -> AppResult<AlertView> {
    decision.check().map_err(AppError::Invalid)?;
    let reason = decision.reason.trim();
    let not_found = || AppError::NotFound(format!("no alert {alert_id} for you"));
    let alert = alert_for(db, user.id, alert_id).await?.ok_or_else(not_found)?;
    if open_to_their_purpose(db, vec![alert.clone()]).await?.is_empty() {
        return Err(AppError::NotFound(format!(
            "alert {alert_id}'s read came from a source whose legal basis does not allow its list's purpose (R3)"
        )));
    }
    if alert.read.captured_at < cutoff {
        return Err(AppError::NotFound(format!(
            "alert {alert_id}'s read was captured before the retention cutoff: it is not kept (R12, R18)"
        )));
    }
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE alerts SET decision = $1, decision_reason = $2, decided_by = $3, decided_at = $4 \
         WHERE id = $5 AND decision IS NULL",
    )
    .bind(decision.outcome.as_str())
    .bind(reason)
    .bind(user.username.as_str())
    .bind(to_millis(now))
    .bind(alert_id)
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict(format!("alert {alert_id} has been decided already")));
    }
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(user), AuditAction::AlertDecided)
            .subject(format!("alert {alert_id}"))
            .details(json!({ "outcome": decision.outcome, "reason": reason })),
    )
    .await?;
    tx.commit().await?;
    alert_for(db, user.id, alert_id).await?.ok_or_else(not_found)
}

/// Sends stored alerts to this server's live alert stream; each subscriber's audience is
/// checked there.
pub async fn publish(db: &Db, stream: &AlertStream, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() || stream.receiver_count() == 0 {
        return Ok(());
    }
    for alert in alerts_by_id(db, ids).await? {
        let _ = stream.send(Arc::new(alert));
    }
    Ok(())
}

/// Deletes the alerts on reads captured before `cutoff` (R18), ahead of the reads themselves.
/// Returns how many.
pub(crate) async fn purge_before(tx: &mut Tx, cutoff: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    // Uncorrelated subqueries: on Citus each is worked out across the shards first, and the
    // coordinator's own tables are then deleted from (a correlated one cannot join them).
    sqlx::query(
        "DELETE FROM alert_recipients WHERE alert_id IN (SELECT a.id FROM alerts a JOIN reads r ON r.id = a.read_id \
         WHERE r.captured_at < $1)",
    )
    .bind(to_millis(cutoff))
    .execute(tx.conn())
    .await?;
    Ok(sqlx::query("DELETE FROM alerts WHERE read_id IN (SELECT r.id FROM reads r WHERE r.captured_at < $1)")
        .bind(to_millis(cutoff))
        .execute(tx.conn())
        .await?
        .rows_affected())
}
