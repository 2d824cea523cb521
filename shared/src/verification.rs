//! Checking reads against their imagery (R15, R16) and cloned-plate indicators (R17).

use crate::plate::Plate;
use crate::reads::ReadView;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest reason a verification may carry.
pub const MAX_REASON: usize = 1000;

/// What an investigator found on checking a read against its images (R15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The plate as read is right.
    Confirmed,
    /// The plate was misread; the corrected plate is recorded beside the original.
    Misread,
    /// The vehicle does not match its plate: a cloned or switched plate is suspected.
    Cloned,
    /// The images do not show the plate well enough to tell.
    Unreadable,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [Verdict::Confirmed, Verdict::Misread, Verdict::Cloned, Verdict::Unreadable];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::Misread => "misread",
            Verdict::Cloned => "cloned",
            Verdict::Unreadable => "unreadable",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Confirmed => "Confirmed",
            Verdict::Misread => "Misread",
            Verdict::Cloned => "Suspected cloned or switched plate",
            Verdict::Unreadable => "Unreadable",
        }
    }
}

/// A verification as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVerification {
    pub verdict: Verdict,
    /// The plate the images show, for a misread.
    #[serde(default)]
    pub corrected_plate: Option<Plate>,
    /// Why: required when the read's accuracy is challenged (misread, suspected clone).
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    #[error("a misread needs the corrected plate")]
    CorrectionMissing,
    #[error("the corrected plate is the plate as read: record the read as confirmed instead")]
    CorrectionUnchanged,
    #[error("only a misread carries a corrected plate")]
    CorrectionNotExpected,
    #[error("say why the read's accuracy is challenged (a reason is required for {0})")]
    ReasonMissing(&'static str),
    #[error("the reason is longer than {MAX_REASON} characters")]
    ReasonTooLong,
}

impl NewVerification {
    /// The reason, trimmed, if one was given.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref().map(str::trim).filter(|r| !r.is_empty())
    }

    /// Checks the verification of a read whose plate as read is `read_plate`.
    pub fn check(&self, read_plate: &str) -> Result<(), VerificationError> {
        match (self.verdict, &self.corrected_plate) {
            (Verdict::Misread, None) => return Err(VerificationError::CorrectionMissing),
            (Verdict::Misread, Some(p)) if p.as_str() == read_plate => {
                return Err(VerificationError::CorrectionUnchanged)
            }
            (Verdict::Misread, Some(_)) | (_, None) => {}
            (_, Some(_)) => return Err(VerificationError::CorrectionNotExpected),
        }
        if matches!(self.verdict, Verdict::Misread | Verdict::Cloned) && self.reason().is_none() {
            return Err(VerificationError::ReasonMissing(self.verdict.as_str()));
        }
        if self.reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
            return Err(VerificationError::ReasonTooLong);
        }
        Ok(())
    }
}

/// One entry of a read's verification history (R16).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerificationView {
    pub id: i64,
    pub read_id: i64,
    pub verdict: Verdict,
    /// The plate as it stood before this verification (the plate as read, or an earlier
    /// correction).
    pub plate_before: Option<String>,
    pub corrected_plate: Option<String>,
    pub reason: Option<String>,
    pub verified_by: String,
    pub verified_at: DateTime<Utc>,
}

/// A read with its history, as the verification panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifiedRead {
    pub read: ReadView,
    pub history: Vec<VerificationView>,
}

/// Two sightings of one plate too far apart for the time between them (R17).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClonePair {
    pub id: i64,
    pub plate: String,
    pub first: ReadView,
    pub second: ReadView,
    pub distance_km: f64,
    pub minutes: f64,
    /// The speed a single vehicle would have needed; `None` when both sightings are at the
    /// same instant.
    pub speed_kmh: Option<f64>,
    pub flagged_at: DateTime<Utc>,
}

impl ClonePair {
    /// The pair's gap as an investigator reads it: `12.3 km in 45 s — 984 km/h needed`.
    pub fn gap(&self) -> String {
        let time = if self.minutes < 2.0 {
            format!("{:.0} s", self.minutes * 60.0)
        } else {
            format!("{:.0} min", self.minutes)
        };
        let speed = self.speed_kmh.map_or_else(|| "at the same instant".to_owned(), |s| format!("{s:.0} km/h needed"));
        format!("{:.1} km in {time} — {speed}", self.distance_km)
    }
}

/// The great-circle distance between two points, in metres.
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(verdict: Verdict, plate: Option<&str>, reason: Option<&str>) -> NewVerification {
        NewVerification {
            verdict,
            corrected_plate: plate.map(|p| Plate::parse(p).unwrap()),
            reason: reason.map(Into::into),
        }
    }

    #[test]
    fn a_challenge_needs_a_reason_and_a_misread_its_correction() {
        assert_eq!(v(Verdict::Confirmed, None, None).check("AB12CDE"), Ok(()));
        assert_eq!(v(Verdict::Unreadable, None, None).check("AB12CDE"), Ok(()));
        assert_eq!(
            v(Verdict::Misread, None, Some("8 read as B")).check("AB12CDE"),
            Err(VerificationError::CorrectionMissing)
        );
        assert_eq!(
            v(Verdict::Misread, Some("AB12CDE"), Some("x")).check("AB12CDE"),
            Err(VerificationError::CorrectionUnchanged)
        );
        assert_eq!(
            v(Verdict::Misread, Some("A812CDE"), Some("  ")).check("AB12CDE"),
            Err(VerificationError::ReasonMissing("misread"))
        );
        assert_eq!(v(Verdict::Misread, Some("A812CDE"), Some("B is an 8")).check("AB12CDE"), Ok(()));
        assert_eq!(v(Verdict::Cloned, None, None).check("AB12CDE"), Err(VerificationError::ReasonMissing("cloned")));
        assert_eq!(
            v(Verdict::Confirmed, Some("A812CDE"), None).check("AB12CDE"),
            Err(VerificationError::CorrectionNotExpected)
        );
    }

    #[test]
    fn distances_on_the_ground() {
        // One degree of latitude is about 111.2 km.
        let d = distance_m(51.0, -0.1, 52.0, -0.1);
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        assert_eq!(distance_m(51.5, -0.1, 51.5, -0.1), 0.0);
    }
}
