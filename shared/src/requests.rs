//! Search requests (R10, R11): what an investigator asks to search and why, and a supervisor's
//! decision on it. Every search runs under an approved request whose scope covers it.

use crate::analysis::Analysis;
use crate::form::{Problems, Validate};
use crate::hotlists::EntryPattern;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most plates or partial plates one request may name.
pub const MAX_SCOPE_PLATES: usize = 50;
/// Most cameras one request may name.
pub const MAX_SCOPE_CAMERAS: usize = 500;

/// The lawful purpose a search serves (R10); oversight figures group searches by it (R23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Prevention and detection of crime, apprehension and prosecution of offenders.
    CrimeInvestigation,
    /// Developing intelligence about offending.
    Intelligence,
    /// Protecting life: missing and vulnerable people.
    Safeguarding,
    /// National security and counter-terrorism.
    NationalSecurity,
}

impl Purpose {
    pub const ALL: [Purpose; 4] =
        [Purpose::CrimeInvestigation, Purpose::Intelligence, Purpose::Safeguarding, Purpose::NationalSecurity];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::CrimeInvestigation => "crime_investigation",
            Purpose::Intelligence => "intelligence",
            Purpose::Safeguarding => "safeguarding",
            Purpose::NationalSecurity => "national_security",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Purpose::CrimeInvestigation => "Crime investigation",
            Purpose::Intelligence => "Intelligence development",
            Purpose::Safeguarding => "Safeguarding (missing or vulnerable person)",
            Purpose::NationalSecurity => "National security",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Serious crime may reach beyond 90 days; volume crime needs an inspector's approval (R11, R12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Seriousness {
    Serious,
    Volume,
}

impl Seriousness {
    pub fn as_str(self) -> &'static str {
        match self {
            Seriousness::Serious => "serious",
            Seriousness::Volume => "volume",
        }
    }

    pub fn parse(s: &str) -> Option<Seriousness> {
        [Seriousness::Serious, Seriousness::Volume].into_iter().find(|v| v.as_str() == s)
    }
}

/// A rectangle on the map, in degrees (WGS84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

impl Area {
    pub fn check(&self) -> Result<(), RequestError> {
        let finite = [self.south, self.west, self.north, self.east].iter().all(|v| v.is_finite());
        let in_range = (-90.0..=90.0).contains(&self.south)
            && (-90.0..=90.0).contains(&self.north)
            && (-180.0..=180.0).contains(&self.west)
            && (-180.0..=180.0).contains(&self.east);
        if finite && in_range && self.south < self.north && self.west < self.east {
            Ok(())
        } else {
            Err(RequestError::Area)
        }
    }

    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.south..=self.north).contains(&lat) && (self.west..=self.east).contains(&lon)
    }

    pub fn covers(&self, other: &Area) -> bool {
        self.contains(other.south, other.west) && self.contains(other.north, other.east)
    }
}

/// What a request asks to search: plates or partial plates, an area or cameras, a time window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestScope {
    #[serde(default)]
    pub plates: Vec<EntryPattern>,
    #[serde(default)]
    pub area: Option<Area>,
    #[serde(default)]
    pub cameras: Vec<i64>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The analysis the request is made for, if any (R10, R11): convoy and pattern of life
    /// name their target among `plates`; several places and vehicle description an area or
    /// cameras.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Analysis>,
}

impl Validate for RequestScope {
    type Error = RequestError;

    fn problems(&self) -> Vec<(&'static str, RequestError)> {
        let mut p = Problems::default();
        let empty = self.plates.is_empty() && self.area.is_none() && self.cameras.is_empty();
        p.require(!empty, "plates", RequestError::EmptyScope)
            .require(self.plates.len() <= MAX_SCOPE_PLATES, "plates", RequestError::TooManyPlates)
            .result("area", self.area.as_ref().map_or(Ok(()), Area::check))
            .require(self.cameras.len() <= MAX_SCOPE_CAMERAS, "cameras", RequestError::TooManyCameras)
            .require(self.from < self.to, "to", RequestError::Window);
        match self.analysis {
            Some(a) if a.of_a_plate() => {
                let plate = self.plates.iter().any(|p| matches!(p, EntryPattern::Plate(_)));
                p.require(plate, "plates", RequestError::AnalysisTarget(a));
            }
            Some(a) => {
                p.require(self.area.is_some() || !self.cameras.is_empty(), "area", RequestError::AnalysisArea(a));
            }
            None => {}
        }
        p.into_vec()
    }
}

impl RequestScope {
    /// Whether the scope names `pattern` (a plate or partial plate) among its plates: an exact
    /// plate is covered by any scope pattern that matches it; a partial plate only by itself.
    pub fn covers_pattern(&self, pattern: &EntryPattern) -> bool {
        self.plates.iter().any(|scoped| match (scoped, pattern) {
            (_, EntryPattern::Plate(plate)) => scoped.matches(plate.as_str()),
            (EntryPattern::Wildcard(a), EntryPattern::Wildcard(b)) => a == b,
            (EntryPattern::Plate(_), EntryPattern::Wildcard(_)) => false,
        })
    }
}

/// A request as an investigator submits it (R10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub purpose: Purpose,
    pub reason: String,
    pub crime_type: String,
    pub seriousness: Seriousness,
    pub scope: RequestScope,
    /// How the results will be handled, stored and shared.
    pub handling: String,
    /// Whether the use could amount to directed surveillance (then a DSA reference is required).
    /// A request for an analysis must answer it; for a search an unanswered question is no.
    #[serde(default)]
    pub surveillance: Option<bool>,
    #[serde(default)]
    pub dsa_reference: Option<String>,
}

fn text_between(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.trim().chars().count())
}

impl Validate for NewRequest {
    type Error = RequestError;

    fn problems(&self) -> Vec<(&'static str, RequestError)> {
        let mut p = Problems::default();
        let dsa = match self.dsa_reference.as_deref().map(str::trim) {
            Some(dsa) if !text_between(dsa, 1, 64) => Err(RequestError::DsaReference),
            None | Some("") if self.surveillance == Some(true) => Err(RequestError::DsaRequired),
            _ => Ok(()),
        };
        let answered = self.surveillance.is_some() || self.scope.analysis.is_none();
        p.require(text_between(&self.crime_type, 2, 80), "crime_type", RequestError::CrimeType)
            .require(text_between(&self.reason, 10, 2000), "reason", RequestError::Reason)
            .extend(self.scope.problems())
            .require(text_between(&self.handling, 10, 2000), "handling", RequestError::Handling)
            .require(answered, "surveillance", RequestError::SurveillanceUnanswered)
            .result("dsa_reference", dsa);
        p.into_vec()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("reason must be 10 to 2000 characters")]
    Reason,
    #[error("crime type must be 2 to 80 characters")]
    CrimeType,
    #[error("handling statement must be 10 to 2000 characters")]
    Handling,
    #[error("a use that could amount to surveillance needs a Directed Surveillance Authority reference")]
    DsaRequired,
    #[error("DSA reference must be 1 to 64 characters")]
    DsaReference,
    #[error("a request for an analysis must say whether its use could amount to directed surveillance")]
    SurveillanceUnanswered,
    #[error("a {} analysis needs its target's whole plate in the scope", .0.as_str())]
    AnalysisTarget(Analysis),
    #[error("a {} analysis needs an area or cameras in the scope", .0.as_str())]
    AnalysisArea(Analysis),
    #[error("scope needs plates, an area or cameras")]
    EmptyScope,
    #[error("scope may name at most {MAX_SCOPE_PLATES} plates")]
    TooManyPlates,
    #[error("scope may name at most {MAX_SCOPE_CAMERAS} cameras")]
    TooManyCameras,
    #[error("area must have south < north within ±90 and west < east within ±180")]
    Area,
    #[error("time window must start before it ends")]
    Window,
    #[error("rationale must be 10 to 2000 characters")]
    Rationale,
    #[error("note must be 3 to 500 characters of plain text")]
    OutcomeNote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<RequestStatus> {
        [RequestStatus::Pending, RequestStatus::Approved, RequestStatus::Rejected].into_iter().find(|v| v.as_str() == s)
    }
}

/// A stored request with its decision, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestView {
    pub id: i64,
    pub reference: String,
    pub requester_id: i64,
    pub requester: String,
    /// The requester's tier as it stands (R12).
    #[serde(default)]
    pub requester_tier: Option<crate::AccessTier>,
    /// For a supervisor deciding it: the oldest instant the requester's tier reaches now; a
    /// window starting earlier cannot be searched in full (R12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reach_from: Option<DateTime<Utc>>,
    pub submitted_at: DateTime<Utc>,
    #[serde(flatten)]
    pub request: NewRequest,
    pub status: RequestStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub rationale: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// When the requester withdrew it: nothing runs under it from then on.
    #[serde(default)]
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// When a supervisor revoked its approval (its expiry is then that moment), and why.
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub revoke_rationale: Option<String>,
    /// What it was worth, recorded by its officer when it closed (R23): nothing runs under it
    /// from then on.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub outcome_note: Option<String>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
}

/// A supervisor's revocation of an approval, with why: searches, watches and analyses under it
/// stop at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RevokeApproval {
    pub rationale: String,
}

impl Validate for RevokeApproval {
    type Error = RequestError;

    fn problems(&self) -> Vec<(&'static str, RequestError)> {
        let mut p = Problems::default();
        p.require(text_between(&self.rationale, 10, 2000), "rationale", RequestError::Rationale);
        p.into_vec()
    }
}

impl RequestView {
    /// Approved, not withdrawn, not closed and not yet expired at `now`.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.status == RequestStatus::Approved
            && self.withdrawn_at.is_none()
            && self.closed_at.is_none()
            && self.expires_at.is_some_and(|e| now < e)
    }

    /// Whether its officer owes its outcome at `now`: approved, not yet closed, and its window
    /// or its approval has ended (R23).
    pub fn outcome_due_at(&self, now: DateTime<Utc>) -> bool {
        self.status == RequestStatus::Approved
            && self.closed_at.is_none()
            && (self.request.scope.to <= now || self.expires_at.is_some_and(|e| e <= now))
    }

    /// Whether a live-time watch may run under it at `now`: usable, and its window covers now.
    pub fn watchable_at(&self, now: DateTime<Utc>) -> bool {
        self.usable_at(now) && self.request.scope.from <= now && now < self.request.scope.to
    }
}

/// A supervisor's decision (R10, R11). An approval may name its expiry; by default it lasts the
/// deployment's standard approval period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestDecision {
    pub approve: bool,
    pub rationale: String,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl Validate for RequestDecision {
    type Error = RequestError;

    fn problems(&self) -> Vec<(&'static str, RequestError)> {
        let mut p = Problems::default();
        p.require(text_between(&self.rationale, 10, 2000), "rationale", RequestError::Rationale);
        p.into_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn scope(plates: &[&str]) -> RequestScope {
        RequestScope {
            plates: plates.iter().map(|p| EntryPattern::parse(p).unwrap()).collect(),
            area: None,
            cameras: vec![],
            from: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
            analysis: None,
        }
    }

    #[test]
    fn a_scope_covers_its_plates_and_only_its_own_partial_plates() {
        let s = scope(&["AB12CDE", "XY1*"]);
        let p = |raw: &str| EntryPattern::parse(raw).unwrap();
        assert!(s.covers_pattern(&p("AB12CDE")));
        assert!(s.covers_pattern(&p("XY15ABC")), "an exact plate inside a scoped partial plate");
        assert!(s.covers_pattern(&p("XY1*")));
        assert!(!s.covers_pattern(&p("XY*")), "a broader pattern than the scope's");
        assert!(!s.covers_pattern(&p("AB12CD?")), "a partial plate the scope does not name");
        assert!(!s.covers_pattern(&p("AB12CDF")));
    }

    #[test]
    fn a_request_needs_a_scope_a_window_and_a_dsa_reference_for_surveillance() {
        let mut r = NewRequest {
            purpose: Purpose::CrimeInvestigation,
            reason: "Burglary series, suspect vehicle".into(),
            crime_type: "Burglary".into(),
            seriousness: Seriousness::Volume,
            scope: scope(&["AB12CDE"]),
            handling: "Intelligence only, not for disclosure".into(),
            surveillance: None,
            dsa_reference: None,
        };
        assert_eq!(r.check(), Ok(()));
        r.surveillance = Some(true);
        assert_eq!(r.check(), Err(RequestError::DsaRequired));
        r.dsa_reference = Some("DSA/2026/114".into());
        assert_eq!(r.check(), Ok(()));
        r.scope.plates.clear();
        assert_eq!(r.check(), Err(RequestError::EmptyScope));
        r.scope.area = Some(Area { south: 51.5, west: -0.2, north: 51.4, east: -0.1 });
        assert_eq!(r.check(), Err(RequestError::Area));
        r.scope.area = Some(Area { south: 51.4, west: -0.2, north: 51.5, east: -0.1 });
        r.scope.to = r.scope.from;
        assert_eq!(r.check(), Err(RequestError::Window));
    }

    #[test]
    fn an_analysis_request_answers_the_surveillance_question_and_names_its_target() {
        let mut r = NewRequest {
            purpose: Purpose::CrimeInvestigation,
            reason: "Drugs supply; who travels with the courier".into(),
            crime_type: "Drugs supply".into(),
            seriousness: Seriousness::Serious,
            scope: RequestScope { analysis: Some(Analysis::Convoy), ..scope(&["AB12CDE"]) },
            handling: "Intelligence only, not for disclosure".into(),
            surveillance: None,
            dsa_reference: None,
        };
        assert_eq!(r.check(), Err(RequestError::SurveillanceUnanswered));
        r.surveillance = Some(false);
        assert_eq!(r.check(), Ok(()));
        r.scope.plates = vec![EntryPattern::parse("AB12*").unwrap()];
        assert_eq!(r.check(), Err(RequestError::AnalysisTarget(Analysis::Convoy)));
        r.scope.analysis = Some(Analysis::Places);
        assert_eq!(r.check(), Err(RequestError::AnalysisArea(Analysis::Places)));
        r.scope.cameras = vec![3];
        assert_eq!(r.check(), Ok(()));
    }

    #[test]
    fn areas_cover_what_lies_inside_them() {
        let big = Area { south: 51.0, west: -1.0, north: 52.0, east: 0.0 };
        assert!(big.covers(&Area { south: 51.2, west: -0.5, north: 51.8, east: 0.0 }));
        assert!(!big.covers(&Area { south: 51.2, west: -0.5, north: 52.1, east: 0.0 }));
        assert!(big.contains(52.0, -1.0));
        assert!(!big.contains(52.000001, -1.0));
    }
}

/// Which requests a listing shows (`GET /requests?which=…`): each takes its own role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestList {
    /// The caller's own requests (investigators).
    Mine,
    /// Pending requests the caller may decide (supervisors).
    Queue,
    /// The requests the caller decided, newest first (supervisors).
    Decided,
    /// Every request (auditors).
    All,
    /// Approved requests whose window or approval has ended without an outcome recorded: the
    /// caller's own (investigators), or those the caller approved (supervisors) (R23).
    OutcomeDue,
}

/// The query of `GET /requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct RequestsQuery {
    pub which: RequestList,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

impl RequestsQuery {
    pub fn of(which: RequestList) -> Self {
        RequestsQuery { which, limit: None }
    }
}

/// What a request was worth (R23, the annual report's usefulness), as its officer records it on
/// closing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RequestOutcomeKind))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    SuspectIdentified,
    VehicleLocated,
    Eliminated,
    EvidenceForCharge,
    IntelligenceOnly,
    NoValue,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::SuspectIdentified,
        Outcome::VehicleLocated,
        Outcome::Eliminated,
        Outcome::EvidenceForCharge,
        Outcome::IntelligenceOnly,
        Outcome::NoValue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::SuspectIdentified => "suspect_identified",
            Outcome::VehicleLocated => "vehicle_located",
            Outcome::Eliminated => "eliminated",
            Outcome::EvidenceForCharge => "evidence_for_charge",
            Outcome::IntelligenceOnly => "intelligence_only",
            Outcome::NoValue => "no_value",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::SuspectIdentified => "Suspect identified",
            Outcome::VehicleLocated => "Vehicle located",
            Outcome::Eliminated => "Eliminated from enquiries",
            Outcome::EvidenceForCharge => "Evidence used for charge",
            Outcome::IntelligenceOnly => "Intelligence only",
            Outcome::NoValue => "No value",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// The body of `POST /requests/{id}/outcome`: closes the request with what it was worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestOutcome {
    pub outcome: Outcome,
    pub note: String,
}

impl Validate for RequestOutcome {
    type Error = RequestError;

    fn problems(&self) -> Vec<(&'static str, RequestError)> {
        let mut p = Problems::default();
        let plain = crate::form::plain_text(&self.note);
        p.require(text_between(&self.note, 3, 500) && plain, "note", RequestError::OutcomeNote);
        p.into_vec()
    }
}
