//! A user's standing as it is now: what every long-lived stream asks again before each
//! delivery and once a second (R8, R10, R12, R13). A stream opened under a session holds that
//! session, not the user record it began with: signing out, a password reset or disabling the
//! account ends the session (on every server: sessions live in the database), and a role taken
//! away is seen at the next check.

use crate::access::capability::Capability;
use crate::access::sessions;
use crate::access::users;
use crate::store::Db;
use shared::Role;
use tower_sessions::Session;

/// Why a stream's user no longer stands where they stood when it opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lost {
    /// Their session ended: signed out, password reset, or expired.
    SignedOut,
    /// Their account was disabled.
    Disabled,
    /// They no longer hold the role the stream relies on.
    RoleLost(Role),
}

impl Lost {
    pub fn as_str(self) -> &'static str {
        match self {
            Lost::SignedOut => "session_ended",
            Lost::Disabled => "account_disabled",
            Lost::RoleLost(_) => "role_removed",
        }
    }
}

/// The session a stream was opened under, and whose it is.
#[derive(Debug, Clone)]
pub struct Holder {
    session_key: String,
    pub user_id: i64,
}

impl Holder {
    /// The holder of `session`, signed in as `user_id`; `None` for a session not yet stored.
    pub fn of(session: &Session, user_id: i64) -> Option<Holder> {
        session.id().map(|id| Holder { session_key: sessions::key(&id), user_id })
    }

    /// The user's capability `C` as they stand now; or why they no longer hold it.
    pub async fn standing<C: Capability>(&self, db: &Db) -> Result<Result<C, Lost>, sqlx::Error> {
        let mut conn = db.pool().acquire().await?;
        let live = sessions::holds(&mut conn, &self.session_key, self.user_id).await?;
        let user = users::find(&mut conn, self.user_id).await?;
        Ok(match user {
            Some(u) if u.disabled => Err(Lost::Disabled),
            None => Err(Lost::Disabled),
            Some(_) if !live => Err(Lost::SignedOut),
            Some(u) => C::of(u).map_err(|_| Lost::RoleLost(C::ROLE)),
        })
    }
}
