//! The audit log as the API shows it (R21).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an audit row records. Later capabilities add their own acts (searches, image views,
/// exports, hotlist changes, purges); the names are stable because auditors query by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    Logout,
    UserCreated,
    UserUpdated,
    AuditVerified,
    FeedCreated,
    FeedKeyRotated,
    CameraRegistered,
    CameraStatusChanged,
    ZoneStatusChanged,
    ReadsIngested,
    LiveReadsOpened,
    ReadsListed,
    ReadViewed,
    ImageViewed,
    DeadLettersViewed,
    HotlistCreated,
    HotlistEntryAdded,
    HotlistEntryRemoved,
    HotlistEntriesLapsed,
    AlertsListed,
    HotlistEntryReviewed,
    HotlistEntryEdited,
    AlertDecided,
    AlertImageViewed,
    AlertsStreamOpened,
    RequestSubmitted,
    RequestDecided,
    SearchRun,
    SearchPageViewed,
    SampleReviewed,
    SamplesListed,
    RestrictionsChanged,
    ReadVerified,
    ClonePairsListed,
    RetentionPurged,
    LockerCaseOpened,
    ReadsPreserved,
    LockerViewed,
    LockerImageViewed,
    LockerReviewed,
    LockerItemDeleted,
    Exported,
    StatementRequested,
    StatementDecided,
    OversightFiguresViewed,
    WatchOpened,
    WatchClosed,
    ReadRefused,
    RequestWithdrawn,
    DeadLettersPurged,
    SearchRefused,
    AuditLogRead,
    ClonePairsFlagged,
    ExportRefused,
    StatementRefused,
    PreserveRefused,
    DecisionRefused,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::LoginSucceeded => "login_succeeded",
            AuditAction::LoginFailed => "login_failed",
            AuditAction::LoginThrottled => "login_throttled",
            AuditAction::Logout => "logout",
            AuditAction::UserCreated => "user_created",
            AuditAction::UserUpdated => "user_updated",
            AuditAction::AuditVerified => "audit_verified",
            AuditAction::FeedCreated => "feed_created",
            AuditAction::FeedKeyRotated => "feed_key_rotated",
            AuditAction::CameraRegistered => "camera_registered",
            AuditAction::CameraStatusChanged => "camera_status_changed",
            AuditAction::ZoneStatusChanged => "zone_status_changed",
            AuditAction::ReadsIngested => "reads_ingested",
            AuditAction::LiveReadsOpened => "live_reads_opened",
            AuditAction::ReadsListed => "reads_listed",
            AuditAction::ReadViewed => "read_viewed",
            AuditAction::ImageViewed => "image_viewed",
            AuditAction::DeadLettersViewed => "dead_letters_viewed",
            AuditAction::HotlistCreated => "hotlist_created",
            AuditAction::HotlistEntryAdded => "hotlist_entry_added",
            AuditAction::HotlistEntryRemoved => "hotlist_entry_removed",
            AuditAction::HotlistEntriesLapsed => "hotlist_entries_lapsed",
            AuditAction::AlertsListed => "alerts_listed",
            AuditAction::HotlistEntryReviewed => "hotlist_entry_reviewed",
            AuditAction::HotlistEntryEdited => "hotlist_entry_edited",
            AuditAction::AlertDecided => "alert_decided",
            AuditAction::AlertImageViewed => "alert_image_viewed",
            AuditAction::AlertsStreamOpened => "alerts_stream_opened",
            AuditAction::RequestSubmitted => "request_submitted",
            AuditAction::RequestDecided => "request_decided",
            AuditAction::SearchRun => "search_run",
            AuditAction::SearchPageViewed => "search_page_viewed",
            AuditAction::SampleReviewed => "sample_reviewed",
            AuditAction::SamplesListed => "samples_listed",
            AuditAction::RestrictionsChanged => "restrictions_changed",
            AuditAction::ReadVerified => "read_verified",
            AuditAction::ClonePairsListed => "clone_pairs_listed",
            AuditAction::RetentionPurged => "retention_purged",
            AuditAction::LockerCaseOpened => "locker_case_opened",
            AuditAction::ReadsPreserved => "reads_preserved",
            AuditAction::LockerViewed => "locker_viewed",
            AuditAction::LockerImageViewed => "locker_image_viewed",
            AuditAction::LockerReviewed => "locker_reviewed",
            AuditAction::LockerItemDeleted => "locker_item_deleted",
            AuditAction::Exported => "exported",
            AuditAction::StatementRequested => "statement_requested",
            AuditAction::StatementDecided => "statement_decided",
            AuditAction::OversightFiguresViewed => "oversight_figures_viewed",
            AuditAction::WatchOpened => "watch_opened",
            AuditAction::WatchClosed => "watch_closed",
            AuditAction::ReadRefused => "read_refused",
            AuditAction::RequestWithdrawn => "request_withdrawn",
            AuditAction::DeadLettersPurged => "dead_letters_purged",
            AuditAction::SearchRefused => "search_refused",
            AuditAction::AuditLogRead => "audit_log_read",
            AuditAction::ClonePairsFlagged => "clone_pairs_flagged",
            AuditAction::ExportRefused => "export_refused",
            AuditAction::StatementRefused => "statement_refused",
            AuditAction::PreserveRefused => "preserve_refused",
            AuditAction::DecisionRefused => "decision_refused",
        }
    }
}

/// One row of the log, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
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

/// The outcome of checking the hash chain from the first row to the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    pub rows_checked: i64,
    /// The sequence number of the first row whose hash or link does not hold, if any.
    pub first_broken: Option<i64>,
    pub reason: Option<String>,
}

impl ChainReport {
    pub fn intact(&self) -> bool {
        self.first_broken.is_none()
    }
}
