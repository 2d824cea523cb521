//! The audit log as the API shows it (R21).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Declares the acts with their stored names, and the list of them all.
macro_rules! actions {
    ($($variant:ident => $name:literal,)*) => {
        /// What an audit row records; the names are stable because auditors query by them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum AuditAction { $($variant,)* }

        impl AuditAction {
            /// Every act, in the order they were added.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(AuditAction::$variant => $name,)* }
            }
        }
    };
}

actions! {
    LoginSucceeded => "login_succeeded",
    LoginFailed => "login_failed",
    LoginThrottled => "login_throttled",
    Logout => "logout",
    UserCreated => "user_created",
    UserUpdated => "user_updated",
    AuditVerified => "audit_verified",
    FeedCreated => "feed_created",
    FeedKeyRotated => "feed_key_rotated",
    CameraRegistered => "camera_registered",
    CameraStatusChanged => "camera_status_changed",
    ZoneStatusChanged => "zone_status_changed",
    ReadsIngested => "reads_ingested",
    LiveReadsOpened => "live_reads_opened",
    ReadsListed => "reads_listed",
    ReadViewed => "read_viewed",
    ImageViewed => "image_viewed",
    DeadLettersViewed => "dead_letters_viewed",
    HotlistCreated => "hotlist_created",
    HotlistEntryAdded => "hotlist_entry_added",
    HotlistEntryRemoved => "hotlist_entry_removed",
    HotlistEntriesLapsed => "hotlist_entries_lapsed",
    AlertsListed => "alerts_listed",
    HotlistEntryReviewed => "hotlist_entry_reviewed",
    HotlistEntryEdited => "hotlist_entry_edited",
    AlertDecided => "alert_decided",
    AlertImageViewed => "alert_image_viewed",
    AlertsStreamOpened => "alerts_stream_opened",
    RequestSubmitted => "request_submitted",
    RequestDecided => "request_decided",
    SearchRun => "search_run",
    SearchPageViewed => "search_page_viewed",
    SampleReviewed => "sample_reviewed",
    SamplesListed => "samples_listed",
    RestrictionsChanged => "restrictions_changed",
    ReadVerified => "read_verified",
    ClonePairsListed => "clone_pairs_listed",
    RetentionPurged => "retention_purged",
    LockerCaseOpened => "locker_case_opened",
    ReadsPreserved => "reads_preserved",
    LockerViewed => "locker_viewed",
    LockerImageViewed => "locker_image_viewed",
    LockerReviewed => "locker_reviewed",
    LockerItemDeleted => "locker_item_deleted",
    Exported => "exported",
    StatementRequested => "statement_requested",
    StatementDecided => "statement_decided",
    OversightFiguresViewed => "oversight_figures_viewed",
    WatchOpened => "watch_opened",
    WatchClosed => "watch_closed",
    ReadRefused => "read_refused",
    RequestWithdrawn => "request_withdrawn",
    DeadLettersPurged => "dead_letters_purged",
    SearchRefused => "search_refused",
    AuditLogRead => "audit_log_read",
    ClonePairsFlagged => "clone_pairs_flagged",
    ExportRefused => "export_refused",
    StatementRefused => "statement_refused",
    PreserveRefused => "preserve_refused",
    DecisionRefused => "decision_refused",
    AuditAnchored => "audit_anchored",
    AccessRefused => "access_refused",
    AlertsStreamClosed => "alerts_stream_closed",
    AlertStreamed => "alert_streamed",
    WatchDelivered => "watch_delivered",
    RetroactiveAlertsRaised => "retroactive_alerts_raised",
    HotlistAudienceChanged => "hotlist_audience_changed",
    HotlistEntryApproved => "hotlist_entry_approved",
    HotlistEntrySuspended => "hotlist_entry_suspended",
    HotlistChangeRefused => "hotlist_change_refused",
    UserChangeProposed => "user_change_proposed",
    UserChangeApproved => "user_change_approved",
    UserChangeRefused => "user_change_refused",
    ApprovalRevoked => "approval_revoked",
    ImageDeletionFailed => "image_deletion_failed",
    LockerRefused => "locker_refused",
    SearchCamerasViewed => "search_cameras_viewed",
    RequestClosed => "request_closed",
    RegisterEntryRecorded => "register_entry_recorded",
    RegisterEntryUpdated => "register_entry_updated",
    SubjectAccessSearched => "subject_access_searched",
    ReportDrawn => "report_drawn",
    OversightViewed => "oversight_viewed",
    RegisterRefused => "register_refused",
    OversightRefused => "oversight_refused",
    SourcePurposesChanged => "source_purposes_changed",
    SourcePurposesRefused => "source_purposes_refused",
    ExportReviewed => "export_reviewed",
    ExportsListed => "exports_listed",
    ExportReviewRefused => "export_review_refused",
    UsageFlagsRaised => "usage_flags_raised",
    UsageFlagsListed => "usage_flags_listed",
    UsageFlagReviewed => "usage_flag_reviewed",
    UsageFlagRefused => "usage_flag_refused",
}

impl AuditAction {
    /// The stream of acts whose rows are chained together (R21): ingest, sign-ins, anchors,
    /// and every other act.
    pub fn stream(self) -> &'static str {
        match self {
            AuditAction::ReadsIngested => "ingest",
            AuditAction::LoginSucceeded
            | AuditAction::LoginFailed
            | AuditAction::LoginThrottled
            | AuditAction::Logout => "sign-in",
            AuditAction::AuditAnchored => "anchors",
            _ => "acts",
        }
    }

    /// A refusal of an access, or of a sign-in: what an audit unit looks at first (R21).
    pub fn is_refusal(self) -> bool {
        self.as_str().ends_with("_refused") || matches!(self, AuditAction::LoginFailed | AuditAction::LoginThrottled)
    }
}

/// Which entries of the log to show, newest first (`GET /audit/entries`): every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// Entries before this sequence number (the next page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_seq: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Only refusals (`…_refused`, failed and throttled sign-ins).
    #[serde(default)]
    pub refusals: bool,
    /// Leave out the feeds' `reads_ingested` rows.
    #[serde(default)]
    pub without_ingest: bool,
    /// Who acted (their username, `system`, or `feed:NAME`), exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<AuditAction>,
    /// Entries at or after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
    /// Text in the subject or the details, e.g. a request's reference or a plate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One row of the log, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// The row's place in the whole log.
    pub seq: i64,
    /// The chain it is linked into (its stream of acts and server), and its place there.
    #[serde(default)]
    pub chain: String,
    #[serde(default)]
    pub chain_seq: i64,
    pub at: DateTime<Utc>,
    /// The acting user's id, if a signed-in user acted.
    pub actor_id: Option<i64>,
    /// The acting user's name, or the name tried at a failed login, or `system`.
    pub actor: String,
    pub action: String,
    /// What the act was done to (a user, a request reference, a read id...).
    pub subject: Option<String>,
    /// The act's particulars as JSON: what was asked, what changed, how much came back.
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The outcome of checking every chain of the log from its first row to its last, and the
/// latest anchor against the chains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainReport {
    pub rows_checked: i64,
    #[serde(default)]
    pub chains_checked: i64,
    /// The place in the log of the first row whose hash or link does not hold, if any.
    pub first_broken: Option<i64>,
    pub reason: Option<String>,
    /// The chain that does not hold.
    #[serde(default)]
    pub chain: Option<String>,
}

impl ChainReport {
    pub fn intact(&self) -> bool {
        self.first_broken.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_act_is_stored_by_the_name_it_is_sent_by() {
        let names: std::collections::HashSet<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len(), "names are distinct");
        for action in AuditAction::ALL {
            assert_eq!(serde_json::to_value(action).unwrap(), serde_json::json!(action.as_str()));
        }
        assert!(AuditAction::SearchRefused.is_refusal() && AuditAction::LoginThrottled.is_refusal());
        assert!(!AuditAction::SearchRun.is_refusal());
    }
}
