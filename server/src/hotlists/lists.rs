//! The lists (R6) and who each is for (R8): a role, or named members.

use crate::access::{users, HotlistAdmin};
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::error::{AppError, AppResult};
use crate::store::{decode, is_unique_violation, Db, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::hotlists::{Audience, AudienceChange, HotlistKind, HotlistView, NewHotlist};
use shared::requests::Purpose;
use shared::{AuditAction, Role};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::str::FromStr;

async fn members(db: &Db, hotlist_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    let rows = sqlx::query("SELECT user_id FROM hotlist_members WHERE hotlist_id = $1 ORDER BY user_id")
        .bind(hotlist_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| r.try_get("user_id")).collect()
}

async fn list_from_row(db: &Db, row: &AnyRow) -> Result<HotlistView, sqlx::Error> {
    let id: i64 = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let audience = match row.try_get::<Option<String>, _>("audience_role")? {
        Some(role) => Audience::Role {
            role: Role::from_str(&role)
                .map_err(|e| sqlx::Error::ColumnDecode { index: "audience_role".into(), source: Box::new(e) })?,
        },
        None => Audience::Members { user_ids: members(db, id).await? },
    };
    Ok(HotlistView {
        id,
        name: row.try_get("name")?,
        kind: decode("kind", &kind, HotlistKind::parse)?,
        audience,
        purpose: decode("purpose", &row.try_get::<String, _>("purpose")?, Purpose::parse)?,
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

pub async fn lists(db: &Db) -> Result<Vec<HotlistView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, kind, audience_role, purpose, created_by, created_at FROM hotlists ORDER BY name",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(list_from_row(db, row).await?);
    }
    Ok(out)
}

/// Refuses an audience that is not made of investigators (R8, R10): a list's alerts go to the
/// people who act on them, never to those who manage its entries — else an entry would be a
/// search of everything without a request. Each member must be an active investigator who does
/// not manage hotlists.
async fn check_audience(tx: &mut Tx, audience: &Audience) -> AppResult<(Option<&'static str>, Vec<i64>)> {
    match audience {
        Audience::Role { role: Role::Investigator } => Ok((Some(Role::Investigator.as_str()), Vec::new())),
        Audience::Role { role } => Err(AppError::Invalid(format!(
            "a list's audience is investigators, who act on alerts: `{}` cannot be an audience (R8)",
            role.as_str()
        ))),
        Audience::Members { user_ids } if user_ids.is_empty() => {
            Err(AppError::Invalid("a restricted list needs at least one member".into()))
        }
        Audience::Members { user_ids } => {
            let mut ids = user_ids.clone();
            ids.sort_unstable();
            ids.dedup();
            for id in &ids {
                let user = users::find(tx.conn(), *id).await?;
                match user {
                    Some(u) if !u.disabled && u.has(Role::Investigator) && !u.has(Role::HotlistAdmin) => {}
                    Some(u) if u.has(Role::HotlistAdmin) => {
                        return Err(AppError::Invalid(format!(
                            "user {id} manages hotlists and cannot be in a list's audience (R8, R10)"
                        )))
                    }
                    Some(_) => {
                        return Err(AppError::Invalid(format!(
                            "user {id} is not an active investigator: only investigators receive alerts (R8)"
                        )))
                    }
                    None => return Err(AppError::Invalid(format!("no user with id {id}"))),
                }
            }
            Ok((None, ids))
        }
    }
}

/// Sets a list's members: a member kept keeps the time they were added, a new one is added
/// `now` (an alert reaches only members who were members when it was raised and have been
/// since, R8).
async fn set_members(tx: &mut Tx, now: DateTime<Utc>, hotlist_id: i64, member_ids: &[i64]) -> Result<(), sqlx::Error> {
    let held = sqlx::query("SELECT user_id FROM hotlist_members WHERE hotlist_id = $1")
        .bind(hotlist_id)
        .fetch_all(tx.conn())
        .await?;
    for row in &held {
        let user_id: i64 = row.try_get("user_id")?;
        if !member_ids.contains(&user_id) {
            sqlx::query("DELETE FROM hotlist_members WHERE hotlist_id = $1 AND user_id = $2")
                .bind(hotlist_id)
                .bind(user_id)
                .execute(tx.conn())
                .await?;
        }
    }
    for user_id in member_ids {
        sqlx::query(
            "INSERT INTO hotlist_members (hotlist_id, user_id, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT (hotlist_id, user_id) DO NOTHING",
        )
        .bind(hotlist_id)
        .bind(user_id)
        .bind(to_millis(now))
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

async fn find_list(db: &Db, id: i64) -> AppResult<HotlistView> {
    let row = sqlx::query(
        "SELECT id, name, kind, audience_role, purpose, created_by, created_at FROM hotlists WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound(format!("no hotlist with id {id}")))?;
    Ok(list_from_row(db, &row).await?)
}

/// The purpose list `id`'s alerts serve (R3, R10).
pub async fn purpose_of(db: &Db, id: i64) -> AppResult<Purpose> {
    let row = sqlx::query("SELECT purpose FROM hotlists WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no hotlist with id {id}")))?;
    Ok(decode("purpose", &row.try_get::<String, _>("purpose")?, Purpose::parse)?)
}

pub async fn create_list(db: &Db, now: DateTime<Utc>, admin: &HotlistAdmin, new: NewHotlist) -> AppResult<HotlistView> {
    new.check().map_err(AppError::Invalid)?;
    let name = new.name.trim();
    let mut tx = db.begin().await?;
    let (role, member_ids) = check_audience(&mut tx, &new.audience).await?;
    let inserted = sqlx::query(
        "INSERT INTO hotlists (name, kind, audience_role, purpose, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(name)
    .bind(new.kind.as_str())
    .bind(role)
    .bind(new.purpose.as_str())
    .bind(admin.username.as_str())
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await;
    let id: i64 = match inserted {
        Ok(row) => row.try_get("id")?,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(format!("a hotlist named `{name}` exists already")))
        }
        Err(e) => return Err(e.into()),
    };
    set_members(&mut tx, now, id, &member_ids).await?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(admin), AuditAction::HotlistCreated)
            .subject(format!("hotlist {id}"))
            .details(json!({ "name": name, "kind": new.kind, "audience": new.audience, "purpose": new.purpose })),
    )
    .await?;
    tx.commit().await?;
    find_list(db, id).await
}

/// Replaces a list's audience, recorded with before, after and why (R8, R21).
pub async fn change_audience(
    db: &Db,
    now: DateTime<Utc>,
    admin: &HotlistAdmin,
    id: i64,
    change: AudienceChange,
) -> AppResult<HotlistView> {
    change.check().map_err(AppError::Invalid)?;
    let reason = change.reason.trim();
    let before = find_list(db, id).await?;
    let mut tx = db.begin().await?;
    let (role, member_ids) = check_audience(&mut tx, &change.audience).await?;
    sqlx::query("UPDATE hotlists SET audience_role = $1 WHERE id = $2").bind(role).bind(id).execute(tx.conn()).await?;
    set_members(&mut tx, now, id, &member_ids).await?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(admin), AuditAction::HotlistAudienceChanged)
            .subject(format!("hotlist {id}"))
            .details(json!({ "before": before.audience, "after": change.audience, "reason": reason })),
    )
    .await?;
    tx.commit().await?;
    find_list(db, id).await
}
