//! The lists (R6) and who each is for (R8): a role, or named members.

use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::error::{AppError, AppResult};
use crate::store::{decode, is_unique_violation, Db};
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::hotlists::{Audience, HotlistKind, HotlistView, NewHotlist};
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
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

pub async fn lists(db: &Db) -> Result<Vec<HotlistView>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, name, kind, audience_role, created_by, created_at FROM hotlists ORDER BY name")
        .fetch_all(db.pool())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(list_from_row(db, row).await?);
    }
    Ok(out)
}

pub async fn create_list(db: &Db, now: DateTime<Utc>, actor: Actor, new: NewHotlist) -> AppResult<HotlistView> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::Invalid("name must be 1 to 120 characters".into()));
    }
    let (role, member_ids) = match &new.audience {
        Audience::Role { role } => (Some(role.as_str()), Vec::new()),
        Audience::Members { user_ids } if user_ids.is_empty() => {
            return Err(AppError::Invalid("a restricted list needs at least one member".into()))
        }
        Audience::Members { user_ids } => (None, user_ids.clone()),
    };
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO hotlists (name, kind, audience_role, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(new.kind.as_str())
    .bind(role)
    .bind(&actor.name)
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
    for user_id in &member_ids {
        let added = sqlx::query("INSERT INTO hotlist_members (hotlist_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(user_id)
            .execute(tx.conn())
            .await;
        match added {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                return Err(AppError::Invalid(format!("no user with id {user_id}")))
            }
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::HotlistCreated)
            .subject(format!("hotlist {id}"))
            .details(json!({ "name": name, "kind": new.kind, "audience": new.audience })),
    )
    .await?;
    tx.commit().await?;
    let row = sqlx::query("SELECT id, name, kind, audience_role, created_by, created_at FROM hotlists WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    Ok(list_from_row(db, &row).await?)
}
