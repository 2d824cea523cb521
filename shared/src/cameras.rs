//! Camera feeds and cameras, with their governance (R3).

use crate::requests::Purpose;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Whether a camera's reads are accepted (R3): only `Approved` ones are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedView {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
    /// The purposes the feed's reads may serve now (R3, R10): every purpose until a legal
    /// basis says otherwise. A zone of the feed may have its own (`bases`).
    #[serde(default = "all_purposes")]
    pub purposes: Vec<Purpose>,
    /// The legal basis in force now (e.g. a certificate's reference); `None` when none is recorded.
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// Every governance act on the feed's purposes and its zones', newest first.
    #[serde(default)]
    pub bases: Vec<SourceBasis>,
}

fn all_purposes() -> Vec<Purpose> {
    Purpose::ALL.to_vec()
}

/// One governance act on the purposes a source's reads may serve (R3, R10): a feed's, or one
/// zone of it. It applies to reads captured from `effective_from` on; reads captured earlier
/// keep the basis they were collected under, unless the act dates itself back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceBasis {
    pub id: i64,
    /// The zone it governs; `None` for the whole feed (a zone with bases of its own follows them).
    pub zone: Option<String>,
    pub purposes: Vec<Purpose>,
    pub legal_basis: String,
    pub reason: String,
    pub effective_from: DateTime<Utc>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// Most characters in a legal basis reference.
pub const MAX_LEGAL_BASIS: usize = 200;

/// A change of the purposes a feed's (or one of its zones') reads may serve: a governance act,
/// with who made it, why and under which reference (R3, R21).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PurposesChange {
    pub purposes: Vec<Purpose>,
    /// The reference of the basis: a certificate, a ministerial decision, a DPIA.
    pub legal_basis: String,
    pub reason: String,
    /// From when it applies to reads captured; now when absent. An earlier instant only where
    /// the basis itself reaches back.
    #[serde(default)]
    pub effective_from: Option<DateTime<Utc>>,
    /// One zone of the feed, when the basis covers only that zone.
    #[serde(default)]
    pub zone: Option<String>,
}

impl PurposesChange {
    pub fn check(&self) -> Result<(), String> {
        if self.purposes.is_empty() {
            return Err("purposes must name at least one purpose".into());
        }
        let mut seen = self.purposes.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != self.purposes.len() {
            return Err("purposes names a purpose twice".into());
        }
        crate::form::plain_required(
            &self.legal_basis,
            MAX_LEGAL_BASIS,
            &format!("legal_basis must be 1 to {MAX_LEGAL_BASIS} characters"),
        )?;
        crate::form::plain_required(&self.reason, 1000, "reason must be 1 to 1000 characters")?;
        if let Some(zone) = &self.zone {
            crate::form::plain_required(zone, 80, "zone must be 1 to 80 characters")?;
        }
        Ok(())
    }
}

/// A new feed's one showing of its API key (only its hash is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedCreated {
    pub feed: FeedView,
    pub api_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFeed {
    pub name: String,
}

impl NewFeed {
    pub fn check(&self) -> Result<(), String> {
        crate::form::plain_required(&self.name, 80, "feed name must be 1 to 80 characters")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        crate::form::plain_required(&self.name, 120, "name must be 1 to 120 characters")?;
        crate::form::plain_required(&self.zone, 64, "zone must be 1 to 64 characters")?;
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ZoneStatusChange {
    pub zone: String,
    pub status: CameraStatus,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZoneStatusChanged {
    pub zone: String,
    pub cameras_changed: i64,
}

/// How a camera is doing, as figures (no plates): what a system admin's map shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraHealth {
    pub camera: CameraView,
    pub reads_last_hour: i64,
    pub reads_last_day: i64,
    /// Capture time of its newest read within the last day.
    pub last_read_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Approved, and quiet for longer than is usual for it (see `is_silent`), or in a recorded
    /// outage.
    pub silent: bool,
    /// Its open outage, if one is recorded (R23's technical difficulties).
    #[serde(default)]
    pub outage: Option<OutageKind>,
}

impl CameraHealth {
    /// Whether an approved camera is silent at `now`, given its reads of the last day (how many,
    /// the first and the last): no read in the day, or none for four times its usual gap (the
    /// mean gap between its reads of the day; at least `floor_minutes`).
    pub fn is_silent(
        status: CameraStatus,
        reads_last_day: i64,
        first_read_at: Option<chrono::DateTime<chrono::Utc>>,
        last_read_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
        floor_minutes: i64,
    ) -> bool {
        if status != CameraStatus::Approved {
            return false;
        }
        let (Some(first), Some(last)) = (first_read_at, last_read_at) else { return true };
        let usual_gap_s =
            if reads_last_day >= 2 { (last - first).num_seconds() / (reads_last_day - 1) } else { 86_400 };
        let allowed = (4 * usual_gap_s).max(floor_minutes * 60);
        (now - last).num_seconds() > allowed
    }
}

/// Why a camera counts as out (R23's technical difficulties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutageKind {
    /// Silent for longer than is usual for it at those hours.
    Silent,
    /// Its reads are being refused, none accepted.
    Refusing,
}

impl OutageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutageKind::Silent => "silent",
            OutageKind::Refusing => "refusing",
        }
    }

    pub fn parse(s: &str) -> Option<OutageKind> {
        [OutageKind::Silent, OutageKind::Refusing].into_iter().find(|k| k.as_str() == s)
    }
}

/// A camera's outage: from its last read (silent) or the first look that found its reads
/// refused, to its next accepted read; open while `ended_at` is empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutageView {
    pub id: i64,
    pub camera_id: i64,
    pub camera: String,
    pub feed: String,
    pub zone: String,
    pub lat: f64,
    pub lon: f64,
    pub kind: OutageKind,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub detected_at: chrono::DateTime<chrono::Utc>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The reads it would usually have sent in the time it was silent, when detected.
    pub expected_reads: f64,
    /// The reads refused when detected (refusing).
    pub refused_reads: i64,
}

/// The query of `GET /cameras/outages`: the open ones, or those overlapping a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct OutagesQuery {
    #[serde(default)]
    pub open: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// A camera's reads per hour, oldest first, from `from` (an hour's start): its health chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraHours {
    pub camera_id: i64,
    pub from: chrono::DateTime<chrono::Utc>,
    pub reads: Vec<i64>,
}

/// The query of `GET /cameras/{id}/hours`: how many days back (1 to 31).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct HoursQuery {
    pub days: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn a_camera_is_silent_after_four_usual_gaps() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        let approved = CameraStatus::Approved;
        // Every 10 minutes for a day: 40 minutes of quiet is usual enough, 40 and a second is not.
        let first = now - Duration::minutes(10 * 143);
        let silent_after =
            |quiet: Duration| CameraHealth::is_silent(approved, 144, Some(first - quiet), Some(now - quiet), now, 15);
        assert!(!silent_after(Duration::minutes(40)));
        assert!(silent_after(Duration::minutes(40) + Duration::seconds(1)));
        // Busy cameras still get the floor; pending ones are never silent; no reads is silent.
        assert!(!CameraHealth::is_silent(
            approved,
            1000,
            Some(now - Duration::hours(1)),
            Some(now - Duration::minutes(14)),
            now,
            15
        ));
        assert!(!CameraHealth::is_silent(CameraStatus::Pending, 0, None, None, now, 15));
        assert!(CameraHealth::is_silent(approved, 0, None, None, now, 15));
    }
}
