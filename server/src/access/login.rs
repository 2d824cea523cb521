//! Signing in, with throttling: attempts on one username take turns (so parallel guesses
//! cannot slip past the limit, and parallel correct sign-ins never count against it); only
//! failures count, and after `max_failures` within the window the username is refused until
//! the lockout ends. Every attempt — succeeded, failed or refused — is audited (R21).

use crate::access::{passwords, users};
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::LoginThrottleConfig;
use crate::error::{AppError, AppResult};
use crate::store::{Db, Tx};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use shared::accounts::LoginRequest;
use shared::{AuditAction, UserView};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

const WRONG_CREDENTIALS: &str = "username or password is incorrect";

/// Checks `username` and `password`; on success returns the user to sign in.
pub async fn authenticate(
    db: &Db,
    now: DateTime<Utc>,
    limits: &LoginThrottleConfig,
    password_wait: std::time::Duration,
    username: &str,
    password: &str,
) -> AppResult<UserView> {
    LoginRequest { username: username.to_owned(), password: password.to_owned() }.check().map_err(AppError::Invalid)?;
    let name = username.trim().to_lowercase();
    // One attempt at a time per username (in this server): the failure count each attempt
    // sees is the one the attempt before it left.
    let gate = turn_for(&name);
    let _turn = gate.lock().await;
    refuse_if_locked(db, now, &name).await?;

    let found = users::find_for_login(db, &name).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let password_ok =
        passwords::verify(password.to_owned(), hash, password_wait).await.map_err(|passwords::Busy| {
            tracing::warn!("sign-in refused: every password check stayed busy");
            AppError::Unavailable {
                message: "the server is busy checking other sign-ins; try again shortly".into(),
                retry_after_secs: 2,
            }
        })?;

    let mut tx = db.begin().await?;
    let outcome = match user {
        Some(user) if password_ok && !user.disabled => {
            sqlx::query("DELETE FROM login_throttle WHERE username = $1").bind(&name).execute(tx.conn()).await?;
            audit::record(&mut tx, now, Event::new(Actor::user(&user), AuditAction::LoginSucceeded)).await?;
            Ok(user)
        }
        Some(user) if password_ok => {
            audit::record(
                &mut tx,
                now,
                Event::new(Actor::user(&user), AuditAction::LoginFailed)
                    .details(json!({ "reason": "account disabled" })),
            )
            .await?;
            // Answered as a wrong password: a disabled account is not told apart from one that
            // does not exist.
            Err(AppError::Unauthorized(WRONG_CREDENTIALS.into()))
        }
        Some(user) => {
            count_failure(&mut tx, now, limits, &name).await?;
            audit::record(
                &mut tx,
                now,
                Event::new(Actor::user(&user), AuditAction::LoginFailed).details(json!({ "reason": "wrong password" })),
            )
            .await?;
            Err(AppError::Unauthorized(WRONG_CREDENTIALS.into()))
        }
        None => {
            // What was typed is not recorded: it may be a password typed into the wrong field.
            // (Lockouts still count failures by the name tried, until they are forgotten.)
            count_failure(&mut tx, now, limits, &name).await?;
            audit::record(
                &mut tx,
                now,
                Event::new(Actor::claimed("(unknown username)"), AuditAction::LoginFailed)
                    .details(json!({ "reason": "unknown username" })),
            )
            .await?;
            Err(AppError::Unauthorized(WRONG_CREDENTIALS.into()))
        }
    };
    tx.commit().await?;
    outcome
}

/// The turn-taking lock of `name`'s sign-ins. Locks nobody holds are dropped as others are made.
fn turn_for(name: &str) -> Arc<tokio::sync::Mutex<()>> {
    static TURNS: OnceLock<Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut turns = TURNS.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(gate) = turns.get(name).and_then(Weak::upgrade) {
        return gate;
    }
    if turns.len() >= 1024 {
        turns.retain(|_, gate| gate.strong_count() > 0);
    }
    let gate = Arc::new(tokio::sync::Mutex::new(()));
    turns.insert(name.to_owned(), Arc::downgrade(&gate));
    gate
}

/// Refuses the attempt, audited, if `name` is locked out at `now`.
async fn refuse_if_locked(db: &Db, now: DateTime<Utc>, name: &str) -> AppResult<()> {
    let row = sqlx::query("SELECT locked_until FROM login_throttle WHERE username = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    let locked_until = row.map(|r| r.try_get::<Option<i64>, _>("locked_until")).transpose()?.flatten();
    let Some(until) = locked_until.filter(|until| *until > to_millis(now)).map(from_millis) else {
        return Ok(());
    };
    audit::record_alone(
        db,
        now,
        Event::new(Actor::claimed(name), AuditAction::LoginThrottled).details(json!({ "locked_until": until })),
    )
    .await?;
    Err(AppError::TooManyRequests {
        message: format!(
            "too many failed sign-ins for this username; try again after {}",
            until.format("%H:%M:%S UTC")
        ),
        retry_after_secs: (until - now).num_seconds() + 1,
    })
}

/// Counts a failed attempt against `name`, locking it out at the limit, in `tx`.
async fn count_failure(tx: &mut Tx, now: DateTime<Utc>, limits: &LoginThrottleConfig, name: &str) -> AppResult<()> {
    let now_ms = to_millis(now);
    let row = sqlx::query("SELECT failures, window_start, locked_until FROM login_throttle WHERE username = $1")
        .bind(name)
        .fetch_optional(tx.conn())
        .await?;
    let (mut failures, mut window_start, locked_until) = match row {
        Some(r) => (
            r.try_get::<i64, _>("failures")?,
            r.try_get::<i64, _>("window_start")?,
            r.try_get::<Option<i64>, _>("locked_until")?,
        ),
        None => (0, now_ms, None),
    };
    let window = Duration::minutes(limits.window_minutes);
    if locked_until.is_some() || now_ms - window_start >= window.num_milliseconds() {
        // A lockout has run out, or the window has passed: start counting afresh.
        failures = 0;
        window_start = now_ms;
    }
    failures += 1;
    let locked_until = (failures >= limits.max_failures)
        .then(|| now_ms + Duration::minutes(limits.lockout_minutes).num_milliseconds());
    sqlx::query(
        "INSERT INTO login_throttle (username, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, \
         window_start = excluded.window_start, locked_until = excluded.locked_until",
    )
    .bind(name)
    .bind(failures)
    .bind(window_start)
    .bind(locked_until)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Forgets throttling records whose window and lockout have both passed (they no longer count),
/// so guesses at made-up usernames do not pile up. Returns how many were removed.
pub async fn forget_stale(db: &Db, now: DateTime<Utc>, limits: &LoginThrottleConfig) -> Result<u64, sqlx::Error> {
    let now_ms = to_millis(now);
    let window_start_before = now_ms - Duration::minutes(limits.window_minutes).num_milliseconds();
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "DELETE FROM login_throttle WHERE window_start < $1 AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(window_start_before)
    .bind(now_ms)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
