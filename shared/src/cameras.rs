//! Camera feeds and cameras, with their governance (R3).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Whether a camera's reads are accepted (R3): only `Approved` ones are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraStatus {
    /// Known but not yet approved through governance; new zones start here.
    Pending,
    Approved,
    Suspended,
}

impl CameraStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CameraStatus::Pending => "pending",
            CameraStatus::Approved => "approved",
            CameraStatus::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<CameraStatus> {
        [CameraStatus::Pending, CameraStatus::Approved, CameraStatus::Suspended].into_iter().find(|c| c.as_str() == s)
    }
}

/// A machine client that submits reads with its own API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedView {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
}

/// A new feed's one showing of its API key (only its hash is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedCreated {
    pub feed: FeedView,
    pub api_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFeed {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraView {
    pub id: i64,
    pub feed_id: i64,
    /// The camera's id as its feed names it in reads.
    pub external_id: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub bearing: Option<i32>,
    pub zone: String,
    pub status: CameraStatus,
    pub status_changed_by: String,
    pub status_changed_at: DateTime<Utc>,
    pub status_reason: String,
    /// Reads refused because the camera was not approved (R3).
    pub refused_reads: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCamera {
    pub feed_id: i64,
    pub external_id: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub bearing: Option<i32>,
    pub zone: String,
}

impl NewCamera {
    pub fn check(&self) -> Result<(), String> {
        if self.external_id.trim().is_empty() || self.external_id.len() > 64 {
            return Err("external_id must be 1 to 64 characters".into());
        }
        if self.name.trim().is_empty() || self.name.len() > 120 {
            return Err("name must be 1 to 120 characters".into());
        }
        if self.zone.trim().is_empty() || self.zone.len() > 64 {
            return Err("zone must be 1 to 64 characters".into());
        }
        check_position(self.lat, self.lon)?;
        if let Some(b) = self.bearing {
            if !(0..360).contains(&b) {
                return Err("bearing must be 0 to 359 degrees".into());
            }
        }
        Ok(())
    }
}

pub fn check_position(lat: f64, lon: f64) -> Result<(), String> {
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!("position ({lat}, {lon}) is not a latitude/longitude"));
    }
    Ok(())
}

/// A governance decision on one camera or a whole zone: the new status and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: CameraStatus,
    pub reason: String,
}

impl StatusChange {
    pub fn check(&self) -> Result<(), String> {
        let n = self.reason.trim().chars().count();
        if n == 0 || n > 500 {
            return Err("a reason of 1 to 500 characters is required".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneStatusChange {
    pub zone: String,
    pub status: CameraStatus,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZoneStatusChanged {
    pub zone: String,
    pub cameras_changed: i64,
}

/// How a camera is doing, as figures (no plates): what a system admin's map shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraHealth {
    pub camera: CameraView,
    pub reads_last_hour: i64,
    pub reads_last_day: i64,
    /// Capture time of its newest read within the last day.
    pub last_read_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Approved, and quiet for longer than is usual for it (see `silent_since`).
    pub silent: bool,
}

impl CameraHealth {
    /// Whether an approved camera with `reads_last_day` reads, the newest at `last_read_at`,
    /// is silent at `now`: no read in the last day, or none for four times its mean gap over
    /// the day (and at least `floor_minutes`).
    pub fn is_silent(
        status: CameraStatus,
        reads_last_day: i64,
        last_read_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
        floor_minutes: i64,
    ) -> bool {
        if status != CameraStatus::Approved {
            return false;
        }
        let Some(last) = last_read_at.filter(|_| reads_last_day > 0) else { return true };
        let mean_gap_s = 86_400 / reads_last_day;
        let allowed = (4 * mean_gap_s).max(floor_minutes * 60);
        (now - last).num_seconds() > allowed
    }
}
