//! Per-user search restrictions (R13): search capabilities and cameras a user may not use,
//! set by a system admin and applied by every search's grant.

use crate::audit::{self, Actor, Event};
use crate::error::{AppError, AppResult};
use crate::store::Db;
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::search::{Capability, Restrictions};
use shared::AuditAction;
use sqlx::{AnyConnection, Row};

pub async fn of(conn: &mut AnyConnection, user_id: i64) -> Result<Restrictions, sqlx::Error> {
    let mut restrictions = Restrictions::default();
    let rows = sqlx::query("SELECT capability FROM user_denied_capabilities WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?;
    for row in rows {
        let raw: String = row.try_get("capability")?;
        restrictions.denied_capabilities.insert(crate::store::decode("capability", &raw, Capability::parse)?);
    }
    let rows = sqlx::query("SELECT camera_id FROM user_denied_cameras WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(conn)
        .await?;
    for row in rows {
        restrictions.denied_cameras.insert(row.try_get("camera_id")?);
    }
    Ok(restrictions)
}

/// Replaces a user's restrictions and records before and after (R21).
pub async fn set(
    db: &Db,
    now: DateTime<Utc>,
    admin: &crate::access::SystemAdmin,
    user_id: i64,
    new: Restrictions,
) -> AppResult<Restrictions> {
    let by: &shared::UserView = admin;
    if by.id == user_id {
        return Err(AppError::Forbidden("no one changes their own restrictions (separation of duties)".into()));
    }
    let mut tx = db.begin().await?;
    let user = crate::access::users::find(tx.conn(), user_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no user with id {user_id}")))?;
    let before = of(tx.conn(), user_id).await?;
    sqlx::query("DELETE FROM user_denied_capabilities WHERE user_id = $1").bind(user_id).execute(tx.conn()).await?;
    sqlx::query("DELETE FROM user_denied_cameras WHERE user_id = $1").bind(user_id).execute(tx.conn()).await?;
    for capability in &new.denied_capabilities {
        sqlx::query("INSERT INTO user_denied_capabilities (user_id, capability) VALUES ($1, $2)")
            .bind(user_id)
            .bind(capability.as_str())
            .execute(tx.conn())
            .await?;
    }
    for camera in &new.denied_cameras {
        let known =
            sqlx::query("SELECT 1 AS one FROM cameras WHERE id = $1").bind(camera).fetch_optional(tx.conn()).await?;
        if known.is_none() {
            return Err(AppError::Invalid(format!("no camera with id {camera}")));
        }
        sqlx::query("INSERT INTO user_denied_cameras (user_id, camera_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(camera)
            .execute(tx.conn())
            .await?;
    }
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(by), AuditAction::RestrictionsChanged)
            .subject(user.username.as_str())
            .details(json!({ "before": before, "after": new })),
    )
    .await?;
    tx.commit().await?;
    Ok(new)
}
