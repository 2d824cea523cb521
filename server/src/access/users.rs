//! Accounts: stored users with their roles, and the audited acts that create and change them.

use crate::access::{passwords, sessions};
use crate::audit::{self, Actor, Event};
use crate::clock::to_millis;
use crate::error::{AppError, AppResult};
use crate::store::{is_unique_violation, Db, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::{AuditAction, Authority, NewUser, Role, UserUpdate, UserView, Username};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeSet;

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.tier, u.rank, u.disabled_at, r.role";

pub(crate) fn parse_column<T: std::str::FromStr>(row: &AnyRow, column: &str) -> Result<Option<T>, sqlx::Error>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let raw: Option<String> = row.try_get(column)?;
    raw.map(|s| s.parse::<T>())
        .transpose()
        .map_err(|e| sqlx::Error::ColumnDecode { index: column.into(), source: Box::new(e) })
}

/// Folds rows of (user, one role) — ordered by user — into users with all their roles.
fn fold_users(rows: &[AnyRow]) -> Result<Vec<UserView>, sqlx::Error> {
    let mut users: Vec<UserView> = Vec::new();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        if users.last().map(|u| u.id) != Some(id) {
            let username: String = row.try_get("username")?;
            users.push(UserView {
                id,
                username: Username::parse(&username)
                    .map_err(|e| sqlx::Error::ColumnDecode { index: "username".into(), source: Box::new(e) })?,
                display_name: row.try_get("display_name")?,
                roles: BTreeSet::new(),
                tier: parse_column(row, "tier")?,
                rank: parse_column(row, "rank")?,
                disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
            });
        }
        if let Some(role) = parse_column::<Role>(row, "role")? {
            users.last_mut().expect("pushed above").roles.insert(role);
        }
    }
    Ok(users)
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<UserView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users u LEFT JOIN user_roles r ON r.user_id = u.id WHERE u.id = $1"
    ))
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(fold_users(&rows)?.pop())
}

/// The user and their password hash, for a login.
pub async fn find_for_login(db: &Db, username: &str) -> Result<Option<(UserView, String)>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u \
         LEFT JOIN user_roles r ON r.user_id = u.id WHERE u.username = $1"
    ))
    .bind(username)
    .fetch_all(db.pool())
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let hash: String = first.try_get("password_hash")?;
    Ok(fold_users(&rows)?.pop().map(|u| (u, hash)))
}

pub async fn list(db: &Db) -> Result<Vec<UserView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users u LEFT JOIN user_roles r ON r.user_id = u.id ORDER BY u.username, u.id"
    ))
    .fetch_all(db.pool())
    .await?;
    fold_users(&rows)
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(db.pool()).await?.try_get("n")
}

async fn replace_roles(tx: &mut Tx, user_id: i64, roles: &BTreeSet<Role>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(user_id).execute(tx.conn()).await?;
    for role in roles {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(user_id)
            .bind(role.as_str())
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

fn authority_json(a: &Authority) -> serde_json::Value {
    json!({ "roles": a.roles, "tier": a.tier, "rank": a.rank })
}

/// Creates an account and records who created it (R21).
pub async fn create(db: &Db, now: DateTime<Utc>, actor: Actor, new: NewUser) -> AppResult<UserView> {
    AppError::unless_valid(&new)?;
    let hash = passwords::hash(new.password.clone()).await.map_err(AppError::internal)?;
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, tier, rank, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(new.username.as_str())
    .bind(new.display_name.trim())
    .bind(&hash)
    .bind(new.tier.map(|t| t.as_str()))
    .bind(new.rank.map(|r| r.as_str()))
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await;
    let id: i64 = match inserted {
        Ok(row) => row.try_get("id")?,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(format!("username `{}` is already taken", new.username)))
        }
        Err(e) => return Err(e.into()),
    };
    replace_roles(&mut tx, id, &new.roles).await?;
    let mut details = authority_json(&new.authority());
    details["display_name"] = json!(new.display_name.trim());
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::UserCreated).subject(new.username.as_str()).details(details),
    )
    .await?;
    let user = find(tx.conn(), id).await?.ok_or_else(|| AppError::internal("created user vanished"))?;
    tx.commit().await?;
    Ok(user)
}

/// Changes an account and records what changed (R21). A system admin cannot disable their own
/// account or drop their own system-admin role, so the last admin cannot lock everyone out.
pub async fn update(db: &Db, now: DateTime<Utc>, by: &UserView, id: i64, change: UserUpdate) -> AppResult<UserView> {
    if change.is_empty() {
        return Err(AppError::Invalid("the update changes nothing".into()));
    }
    let new_hash = match &change.password {
        Some(p) => {
            shared::accounts::check_password(p)?;
            Some(passwords::hash(p.clone()).await.map_err(AppError::internal)?)
        }
        None => None,
    };
    let mut tx = db.begin().await?;
    let current = find(tx.conn(), id).await?.ok_or_else(|| AppError::NotFound(format!("no user with id {id}")))?;
    let before = Authority { roles: current.roles.clone(), tier: current.tier, rank: current.rank };
    let after = change.check(&before)?;
    if by.id == id {
        if change.disabled == Some(true) {
            return Err(AppError::Conflict("you cannot disable your own account".into()));
        }
        if !after.roles.contains(&Role::SystemAdmin) {
            return Err(AppError::Conflict("you cannot remove your own system admin role".into()));
        }
    }
    let display_name = change.display_name.as_deref().map(str::trim).unwrap_or(&current.display_name);
    let disabled = change.disabled.unwrap_or(current.disabled);
    sqlx::query(
        "UPDATE users SET display_name = $1, tier = $2, rank = $3, \
         disabled_at = CASE WHEN $4 = 0 THEN NULL ELSE COALESCE(disabled_at, $5) END, updated_at = $5 WHERE id = $6",
    )
    .bind(display_name)
    .bind(after.tier.map(|t| t.as_str()))
    .bind(after.rank.map(|r| r.as_str()))
    .bind(i64::from(disabled))
    .bind(to_millis(now))
    .bind(id)
    .execute(tx.conn())
    .await?;
    if let Some(hash) = &new_hash {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(id).execute(tx.conn()).await?;
    }
    if after.roles != before.roles {
        replace_roles(&mut tx, id, &after.roles).await?;
    }
    let sessions_ended = if disabled || new_hash.is_some() { sessions::end_all_for(&mut tx, id).await? } else { 0 };

    let mut changes = serde_json::Map::new();
    if after != before {
        changes.insert("before".into(), authority_json(&before));
        changes.insert("after".into(), authority_json(&after));
    }
    if display_name != current.display_name {
        changes.insert("display_name".into(), json!({ "before": current.display_name, "after": display_name }));
    }
    if disabled != current.disabled {
        changes.insert("disabled".into(), json!(disabled));
    }
    if new_hash.is_some() {
        changes.insert("password_reset".into(), json!(true));
    }
    changes.insert("sessions_ended".into(), json!(sessions_ended));
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(by), AuditAction::UserUpdated)
            .subject(current.username.as_str())
            .details(serde_json::Value::Object(changes)),
    )
    .await?;
    let user = find(tx.conn(), id).await?.ok_or_else(|| AppError::internal("updated user vanished"))?;
    tx.commit().await?;
    Ok(user)
}
