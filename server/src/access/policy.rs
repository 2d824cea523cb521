//! The policy on how far back anyone sees (R12, R13, R18): the retention cutoff, each tier's
//! reach, and an investigator's [`Reach`] at one instant. Searches, the read gate, alerts,
//! ingest and the purge all ask here, so each limit is written once.

use crate::access::{restrictions, Investigator};
use crate::clock::to_stored;
use crate::config::AccessConfig;
use crate::error::{AppError, AppResult};
use crate::store::Db;
use chrono::{DateTime, Duration, Months, Utc};
use shared::search::Restrictions;
use shared::AccessTier;

/// How far an investigator reaches at one instant (R12, R13): their tier's reach (never past
/// retention) and their restrictions. The grant, the read gate and verification all take it, so
/// the "investigator with a tier, within reach, not at a restricted camera" check exists once.
#[derive(Debug, Clone)]
pub struct Reach {
    pub(crate) user_id: i64,
    pub(crate) restrictions: Restrictions,
    /// The oldest instant the user may see.
    pub(crate) earliest: DateTime<Utc>,
    /// Why `earliest` is where it is, for the refusal message.
    pub(crate) limit: &'static str,
}

impl Reach {
    /// The reach of `user` at `now`, or why they have none (an investigator without a tier).
    pub async fn of(db: &Db, policy: &AccessConfig, now: DateTime<Utc>, user: &Investigator) -> AppResult<Reach> {
        let now = to_stored(now);
        let Some(tier) = user.tier else {
            return Err(AppError::Forbidden("only investigators with an access tier reach reads".into()));
        };
        let mut conn = db.pool().acquire().await?;
        let restrictions = restrictions::of(&mut conn, user.id).await?;
        let (earliest, limit) = reach(policy, now, tier);
        Ok(Reach { user_id: user.id, restrictions, earliest, limit })
    }

    pub fn earliest(&self) -> DateTime<Utc> {
        self.earliest
    }

    /// Whether the user is kept away from `camera_id` (R13).
    pub fn excludes_camera(&self, camera_id: i64) -> bool {
        self.restrictions.denied_cameras.contains(&camera_id)
    }
}

fn months_before(now: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(months)).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The oldest instant a user of `tier` may see at `now`, and why (R12): the tier's reach, and
/// never beyond the retention period.
pub fn reach(policy: &AccessConfig, now: DateTime<Utc>, tier: AccessTier) -> (DateTime<Utc>, &'static str) {
    let retention = (retention_cutoff(policy, now), "nothing older than the retention period");
    let tier = match tier {
        AccessTier::Local => (now - Duration::days(policy.local_days), "the reach of a local-tier user"),
        AccessTier::Central => (months_before(now, policy.central_months), "the reach of a central-tier user"),
    };
    if tier.0 >= retention.0 {
        tier
    } else {
        retention
    }
}

/// The first year the workbench deals in: no request window starts before it, and the yearly
/// figures begin with it.
pub const FIRST_YEAR: i32 = 2000;

/// Reads captured before this are past the retention period (R12, R18).
pub fn retention_cutoff(policy: &AccessConfig, now: DateTime<Utc>) -> DateTime<Utc> {
    months_before(now, policy.retention_months)
}
