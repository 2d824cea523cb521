//! Accounts: stored users with their roles, and the audited acts that create and change them.

use crate::access::SystemAdmin;
use crate::access::{passwords, sessions};
use crate::audit::{self, Actor, Event};
use crate::clock::from_millis;
use crate::clock::to_millis;
use crate::error::{AppError, AppResult};
use crate::store::{is_unique_violation, Db, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::accounts::PendingUserChange;
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

/// Sets a user's roles to `roles`: a role kept keeps the time it was granted, a new one is
/// granted `now` (an alert reaches only those who held its audience's role when it was raised,
/// R8).
async fn replace_roles(
    tx: &mut Tx,
    now: DateTime<Utc>,
    user_id: i64,
    roles: &BTreeSet<Role>,
) -> Result<(), sqlx::Error> {
    let held = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1").bind(user_id).fetch_all(tx.conn()).await?;
    for row in &held {
        let role: String = row.try_get("role")?;
        if !roles.iter().any(|r| r.as_str() == role) {
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
                .bind(user_id)
                .bind(role)
                .execute(tx.conn())
                .await?;
        }
    }
    // Whoever gives up managing hotlists comes back into audiences as if newly made an
    // investigator: no alert raised while they were kept out reaches them (R8, R10).
    let managed = held.iter().any(|r| r.try_get::<String, _>("role").is_ok_and(|r| r == Role::HotlistAdmin.as_str()));
    if managed && !roles.contains(&Role::HotlistAdmin) {
        sqlx::query("UPDATE user_roles SET granted_at = $1 WHERE user_id = $2 AND role = $3")
            .bind(to_millis(now))
            .bind(user_id)
            .bind(Role::Investigator.as_str())
            .execute(tx.conn())
            .await?;
    }
    for role in roles {
        sqlx::query(
            "INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, role) DO NOTHING",
        )
        .bind(user_id)
        .bind(role.as_str())
        .bind(to_millis(now))
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
    let id = insert(&mut tx, now, actor, &new, &hash, false).await?;
    let user = find(tx.conn(), id).await?.ok_or_else(|| AppError::internal("created user vanished"))?;
    tx.commit().await?;
    Ok(user)
}

/// A system admin creates an account. One holding authority that takes a second admin's
/// approval (supervisor, inspector, central tier, auditor) is created disabled, with its
/// enabling proposed for a second system admin (separation of duties).
pub async fn create_by(
    db: &Db,
    now: DateTime<Utc>,
    admin: &SystemAdmin,
    new: NewUser,
) -> AppResult<(UserView, Option<PendingUserChange>)> {
    AppError::unless_valid(&new)?;
    let elevations = new.authority().elevations_over(&Authority::none());
    let hash = passwords::hash(new.password.clone()).await.map_err(AppError::internal)?;
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, now, Actor::user(admin), &new, &hash, !elevations.is_empty()).await?;
    let pending = if elevations.is_empty() {
        None
    } else {
        let enable = UserUpdate { disabled: Some(false), ..UserUpdate::default() };
        Some(
            propose(
                &mut tx,
                now,
                admin,
                id,
                new.username.as_str(),
                Held { change: &enable, password_hash: None },
                &elevations,
            )
            .await?,
        )
    };
    let user = find(tx.conn(), id).await?.ok_or_else(|| AppError::internal("created user vanished"))?;
    tx.commit().await?;
    Ok((user, pending))
}

async fn insert(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: Actor,
    new: &NewUser,
    hash: &str,
    disabled: bool,
) -> AppResult<i64> {
    let inserted = sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, tier, rank, created_at, updated_at, disabled_at, \
         active_since) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $6) RETURNING id",
    )
    .bind(new.username.as_str())
    .bind(new.display_name.trim())
    .bind(hash)
    .bind(new.tier.map(|t| t.as_str()))
    .bind(new.rank.map(|r| r.as_str()))
    .bind(to_millis(now))
    .bind(disabled.then(|| to_millis(now)))
    .fetch_one(tx.conn())
    .await;
    let id: i64 = match inserted {
        Ok(row) => row.try_get("id")?,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(format!("username `{}` is already taken", new.username)))
        }
        Err(e) => return Err(e.into()),
    };
    replace_roles(tx, now, id, &new.roles).await?;
    let mut details = authority_json(&new.authority());
    details["display_name"] = json!(new.display_name.trim());
    details["disabled_until_approved"] = json!(disabled);
    audit::record(tx, now, Event::new(actor, AuditAction::UserCreated).subject(new.username.as_str()).details(details))
        .await?;
    Ok(id)
}

/// What a system admin's change to an account came to.
pub enum Updated {
    /// Made.
    Done(UserView),
    /// Held for a second system admin: the account as it stands, and the proposal.
    Pending(UserView, PendingUserChange),
}

/// A system admin changes an account, recording what changed (R21). No one changes their own
/// roles, tier or rank, nor disables their own account; a change granting the supervisor role,
/// inspector rank, the central tier or the auditor role is held until a second system admin
/// approves it (separation of duties).
pub async fn update(
    db: &Db,
    now: DateTime<Utc>,
    admin: &SystemAdmin,
    id: i64,
    change: UserUpdate,
) -> AppResult<Updated> {
    if change.is_empty() {
        return Err(AppError::Invalid("the update changes nothing".into()));
    }
    let by: &UserView = admin;
    // Hashed before the transaction: the hash takes a while, and nothing waits on it.
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
        if after != before {
            return Err(AppError::Forbidden(
                "no one changes their own roles, tier or rank: another system admin must (separation of duties)".into(),
            ));
        }
    }
    // Enabling a disabled account hands it all its authority at once: that is weighed as if
    // the account were new, so an account created disabled for a second admin cannot simply be
    // switched on by the first.
    let enabling = current.disabled && change.disabled == Some(false);
    let none = Authority::none();
    let mut elevations = after.elevations_over(if enabling { &none } else { &before });
    // Whoever sets another's password can sign in as them, with all they hold: a second admin
    // approves it, or one admin could reset a supervisor's password and approve their own
    // puppet's request (separation of duties).
    if new_hash.is_some() && by.id != id && !current.roles.is_empty() {
        elevations.push("a password reset (whoever sets it can sign in as them)");
    }
    // Nor does one admin take another's standing away alone: with the other gone, nothing they
    // did would need a second admin again.
    if by.id != id && current.has(Role::SystemAdmin) && (after.roles != before.roles || change.disabled == Some(true)) {
        elevations.push("a change to another system admin's roles, or disabling them (no admin removes another alone)");
    }
    if !elevations.is_empty() {
        let held = Held { change: &change, password_hash: new_hash.as_deref() };
        let pending = propose(&mut tx, now, admin, id, current.username.as_str(), held, &elevations).await?;
        tx.commit().await?;
        return Ok(Updated::Pending(current, pending));
    }
    let user = apply(&mut tx, now, Actor::user(by), current, change, new_hash).await?;
    tx.commit().await?;
    Ok(Updated::Done(user))
}

/// Applies `change` (its password already hashed as `new_hash`) to `current` in `tx`,
/// recording what changed.
async fn apply(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: Actor,
    current: UserView,
    change: UserUpdate,
    new_hash: Option<String>,
) -> AppResult<UserView> {
    let id = current.id;
    let before = Authority { roles: current.roles.clone(), tier: current.tier, rank: current.rank };
    let after = change.check(&before)?;
    let display_name = change.display_name.as_deref().map(str::trim).unwrap_or(&current.display_name);
    let disabled = change.disabled.unwrap_or(current.disabled);
    sqlx::query(
        "UPDATE users SET display_name = $1, tier = $2, rank = $3, \
         disabled_at = CASE WHEN $4 = 0 THEN NULL ELSE COALESCE(disabled_at, $5) END, updated_at = $5, \
         active_since = CASE WHEN $4 = 0 AND disabled_at IS NOT NULL THEN $5 ELSE active_since END WHERE id = $6",
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
        replace_roles(tx, now, id, &after.roles).await?;
    }
    let sessions_ended = if disabled || new_hash.is_some() { sessions::end_all_for(tx, id).await? } else { 0 };

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
        tx,
        now,
        Event::new(actor, AuditAction::UserUpdated)
            .subject(current.username.as_str())
            .details(serde_json::Value::Object(changes)),
    )
    .await?;
    find(tx.conn(), id).await?.ok_or_else(|| AppError::internal("updated user vanished"))
}

const CHANGE_COLUMNS: &str = "c.id, c.user_id, u.username, c.change, p.username AS proposed_by, c.proposed_at, \
     c.proposed_by AS proposer_id";
const CHANGE_FROM: &str = "user_changes c JOIN users u ON u.id = c.user_id JOIN users p ON p.id = c.proposed_by";

/// A held change, who proposed it, and the hash of the password it sets, if it sets one.
fn change_from_row(row: &AnyRow) -> Result<(PendingUserChange, i64, Option<String>), sqlx::Error> {
    let text: String = row.try_get("change")?;
    let stored: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| sqlx::Error::ColumnDecode { index: "change".into(), source: Box::new(e) })?;
    let change: UserUpdate = serde_json::from_value(stored["update"].clone())
        .map_err(|e| sqlx::Error::ColumnDecode { index: "change".into(), source: Box::new(e) })?;
    let elevations = serde_json::from_value(stored["elevations"].clone()).unwrap_or_default();
    let pending = PendingUserChange {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        change,
        elevations,
        proposed_by: row.try_get("proposed_by")?,
        proposed_at: from_millis(row.try_get("proposed_at")?),
    };
    let password_hash = stored["password_hash"].as_str().map(str::to_owned);
    Ok((pending, row.try_get("proposer_id")?, password_hash))
}

/// A change to hold, with its new password already hashed: the password itself is never kept.
struct Held<'a> {
    change: &'a UserUpdate,
    password_hash: Option<&'a str>,
}

async fn propose(
    tx: &mut Tx,
    now: DateTime<Utc>,
    admin: &SystemAdmin,
    user_id: i64,
    username: &str,
    held: Held<'_>,
    elevations: &[&str],
) -> AppResult<PendingUserChange> {
    let password_hash = held.password_hash;
    let mut held = held.change.clone();
    held.password = None;
    let stored = json!({ "update": held, "elevations": elevations, "password_hash": password_hash });
    let id: i64 = sqlx::query(
        "INSERT INTO user_changes (user_id, change, proposed_by, proposed_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(stored.to_string())
    .bind(admin.id)
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await?
    .try_get("id")?;
    audit::record(
        tx,
        now,
        Event::new(Actor::user(admin), AuditAction::UserChangeProposed)
            .subject(username)
            .details(json!({ "change_id": id, "change": held, "elevations": elevations })),
    )
    .await?;
    let row = sqlx::query(&format!("SELECT {CHANGE_COLUMNS} FROM {CHANGE_FROM} WHERE c.id = $1"))
        .bind(id)
        .fetch_one(tx.conn())
        .await?;
    Ok(change_from_row(&row)?.0)
}

/// Changes waiting for a second system admin, oldest first.
pub async fn pending_changes(db: &Db) -> Result<Vec<PendingUserChange>, sqlx::Error> {
    let rows =
        sqlx::query(&format!("SELECT {CHANGE_COLUMNS} FROM {CHANGE_FROM} WHERE c.decided_at IS NULL ORDER BY c.id"))
            .fetch_all(db.pool())
            .await?;
    rows.iter().map(|r| change_from_row(r).map(|(c, _, _)| c)).collect()
}

/// A second system admin approves or rejects a held change: never the admin who proposed it,
/// nor the account it changes. An approved change is made as it stands against the account now.
pub async fn decide_change(
    db: &Db,
    now: DateTime<Utc>,
    admin: &SystemAdmin,
    change_id: i64,
    approve: bool,
) -> AppResult<UserView> {
    let by: &UserView = admin;
    let mut tx = db.begin().await?;
    let row =
        sqlx::query(&format!("SELECT {CHANGE_COLUMNS} FROM {CHANGE_FROM} WHERE c.id = $1 AND c.decided_at IS NULL"))
            .bind(change_id)
            .fetch_optional(tx.conn())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no change awaiting approval with id {change_id}")))?;
    let (pending, proposer_id, password_hash) = change_from_row(&row)?;
    if proposer_id == by.id {
        return Err(AppError::Forbidden("a change is approved by a second system admin, not its proposer".into()));
    }
    if pending.user_id == by.id {
        return Err(AppError::Forbidden("no one approves a change to their own account".into()));
    }
    // A change is weighed against the account as it was proposed on: approved after the account
    // changed, it could undo what was done meanwhile (a role taken away, an account disabled).
    let updated_at: i64 = sqlx::query("SELECT updated_at FROM users WHERE id = $1")
        .bind(pending.user_id)
        .fetch_one(tx.conn())
        .await?
        .try_get("updated_at")?;
    if approve && from_millis(updated_at) > pending.proposed_at {
        return Err(AppError::Conflict(format!(
            "{} has changed since this was proposed at {}: reject it, and propose it again if it still stands",
            pending.username, pending.proposed_at
        )));
    }
    let outcome = if approve { "approved" } else { "rejected" };
    sqlx::query("UPDATE user_changes SET decided_by = $1, decided_at = $2, outcome = $3 WHERE id = $4")
        .bind(by.id)
        .bind(to_millis(now))
        .bind(outcome)
        .bind(change_id)
        .execute(tx.conn())
        .await?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(by), AuditAction::UserChangeApproved)
            .subject(pending.username.as_str())
            .details(json!({ "change_id": change_id, "outcome": outcome, "proposed_by": pending.proposed_by,
                             "change": pending.change })),
    )
    .await?;
    let current =
        find(tx.conn(), pending.user_id).await?.ok_or_else(|| AppError::internal("the changed user vanished"))?;
    let user = if approve {
        apply(&mut tx, now, Actor::user(by), current, pending.change, password_hash).await?
    } else {
        current
    };
    tx.commit().await?;
    Ok(user)
}
