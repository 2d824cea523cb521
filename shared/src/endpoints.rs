//! Every path of the JSON API, written once: the server's router mounts these templates and the
//! app fills them in, so no route is spelt twice. Paths are relative to [`BASE`]; `{name}` marks
//! a parameter. The queries some listings take are typed beside their resources' shapes.

use serde::Serialize;
use std::fmt::Display;

/// Where the API is mounted.
pub const BASE: &str = "/api/v1";

/// The API's contract, an OpenAPI 3.1 document (public).
pub const OPENAPI: &str = "/openapi.json";
/// The contract's reference page, outside [`BASE`] (public; its files are the server's own).
pub const DOCS: &str = "/api/docs";

// alerts
pub const ALERTS: &str = "/alerts";
pub const ALERTS_LIVE: &str = "/alerts/live";
pub const ALERT_DECISION: &str = "/alerts/{id}/decision";
pub const ALERT_IMAGE: &str = "/alerts/{id}/images/{kind}";

// audit
pub const AUDIT_ENTRIES: &str = "/audit/entries";
pub const AUDIT_VERIFY: &str = "/audit/verify";
pub const AUDIT_SAMPLES: &str = "/audit/samples";
pub const AUDIT_SAMPLE_FINDING: &str = "/audit/samples/{id}/finding";
pub const AUDIT_FLAGS: &str = "/audit/flags";
pub const AUDIT_FLAG_REVIEW: &str = "/audit/flags/{id}/review";

// auth
pub const SIGN_IN: &str = "/auth/login";
pub const SIGN_OUT: &str = "/auth/logout";
pub const ME: &str = "/auth/me";

// feeds
pub const FEEDS: &str = "/feeds";
pub const FEED_PURPOSES: &str = "/feeds/{id}/purposes";

// cameras
pub const CAMERAS: &str = "/cameras";
pub const CAMERA_STATUS: &str = "/cameras/{id}/status";
pub const ZONE_STATUS: &str = "/cameras/zone-status";
pub const CAMERA_HEALTH: &str = "/cameras/health";
pub const CAMERA_OUTAGES: &str = "/cameras/outages";
pub const CAMERA_HOURS: &str = "/cameras/{id}/hours";

// exports still out (R20)
pub const EXPORTS: &str = "/exports";
pub const EXPORT_REVIEW: &str = "/exports/{id}/review";

// searches
pub const SEARCH_CLONES: &str = "/searches/{id}/clones";
pub const SEARCH_EXPORT: &str = "/searches/{id}/export";
pub const SEARCH_READ: &str = "/searches/{search}/reads/{read}";
pub const SEARCH_READ_IMAGE: &str = "/searches/{search}/reads/{read}/images/{kind}";
pub const SEARCH_READ_VERIFICATIONS: &str = "/searches/{search}/reads/{read}/verifications";
pub const SEARCHES: &str = "/searches";
pub const SEARCH: &str = "/searches/{id}";
pub const SEARCH_CAMERAS: &str = "/searches/{id}/cameras";

// ingest
pub const DEAD_LETTERS: &str = "/ingest/dead-letters";
pub const INGEST_READS: &str = "/ingest/reads";
pub const INGEST_OPENALPR: &str = "/ingest/openalpr";
pub const INGEST_PLATERECOGNIZER: &str = "/ingest/platerecognizer";
pub const INGEST_HIKVISION: &str = "/ingest/hikvision";

// hotlists
pub const HOTLISTS: &str = "/hotlists";
pub const HOTLIST_AUDIENCE: &str = "/hotlists/{id}/audience";
pub const HOTLIST_ENTRIES: &str = "/hotlists/{id}/entries";
pub const HOTLIST_IMPORT: &str = "/hotlists/{id}/import";
pub const HOTLIST_ENTRY: &str = "/hotlists/entries/{id}";
pub const HOTLIST_ENTRY_REMOVE: &str = "/hotlists/entries/{id}/remove";
pub const HOTLIST_ENTRY_REVIEW: &str = "/hotlists/entries/{id}/review";
pub const HOTLIST_ENTRY_APPROVE: &str = "/hotlists/entries/{id}/approve";
pub const HOTLIST_REVIEWS_DUE: &str = "/hotlists/reviews/due";
pub const HOTLIST_APPROVALS_DUE: &str = "/hotlists/approvals/due";

// locker
pub const LOCKER_CASES: &str = "/locker/cases";
pub const LOCKER_CASE_ITEMS: &str = "/locker/cases/{id}/items";
pub const LOCKER_PEOPLE: &str = "/locker/people";
pub const LOCKER_DUE: &str = "/locker/due";
pub const LOCKER_ESCALATED: &str = "/locker/escalated";
pub const LOCKER_ITEM: &str = "/locker/items/{id}";
pub const LOCKER_ITEM_REVIEWS: &str = "/locker/items/{id}/reviews";
pub const LOCKER_ITEM_ANSWER: &str = "/locker/items/{id}/answer";
pub const LOCKER_ITEM_IMAGE: &str = "/locker/items/{id}/images/{kind}";

// oversight
pub const OVERSIGHT_REPORT: &str = "/oversight/report";
pub const OVERSIGHT_INTENSITY: &str = "/oversight/intensity";
pub const OVERSIGHT_EXTRACT: &str = "/oversight/extract";

// registers: `{register}` is `breaches` or `subject-access`
pub const REGISTER: &str = "/registers/{register}";
pub const REGISTER_ENTRY: &str = "/registers/{register}/{id}";
pub const SUBJECT_ACCESS_SEARCH: &str = "/registers/subject-access/{id}/search";
// requests
pub const REQUESTS: &str = "/requests";
pub const REQUEST: &str = "/requests/{id}";
pub const REQUEST_DECISION: &str = "/requests/{id}/decision";
pub const REQUEST_WITHDRAW: &str = "/requests/{id}/withdraw";
pub const REQUEST_REVOKE: &str = "/requests/{id}/revoke";
pub const REQUEST_OUTCOME: &str = "/requests/{id}/outcome";

// statements
pub const STATEMENTS: &str = "/statements";
pub const STATEMENT_READS: &str = "/statements/{id}/reads";
pub const STATEMENT_DECISION: &str = "/statements/{id}/decision";
pub const STATEMENT_PDF: &str = "/statements/{id}/pdf";

// users
pub const USERS: &str = "/users";
pub const USER: &str = "/users/{id}";
pub const USER_RESTRICTIONS: &str = "/users/{id}/restrictions";
pub const USER_CHANGES: &str = "/users/changes";
pub const USER_CHANGE: &str = "/users/changes/{id}";
pub const USER_CHANGE_APPROVE: &str = "/users/changes/{id}/approve";
pub const USER_CHANGE_REJECT: &str = "/users/changes/{id}/reject";
pub const USER_DIRECTORY: &str = "/users/directory";

// watches
pub const WATCHES: &str = "/watches";
pub const WATCH: &str = "/watches/{id}";
pub const WATCH_LIVE: &str = "/watches/{id}/live";
pub const WATCH_CLOSE: &str = "/watches/{id}/close";

/// Every path of the API's operations (not the contract's own two), so that a check can ask that
/// the contract names each one; a unit test keeps this list whole.
pub const ALL: &[&str] = &[
    ALERTS,
    ALERTS_LIVE,
    ALERT_DECISION,
    ALERT_IMAGE,
    AUDIT_ENTRIES,
    AUDIT_VERIFY,
    AUDIT_SAMPLES,
    AUDIT_SAMPLE_FINDING,
    AUDIT_FLAGS,
    AUDIT_FLAG_REVIEW,
    SIGN_IN,
    SIGN_OUT,
    ME,
    FEEDS,
    FEED_PURPOSES,
    CAMERAS,
    CAMERA_STATUS,
    ZONE_STATUS,
    CAMERA_HEALTH,
    CAMERA_OUTAGES,
    CAMERA_HOURS,
    EXPORTS,
    EXPORT_REVIEW,
    SEARCH_CLONES,
    SEARCH_EXPORT,
    SEARCH_READ,
    SEARCH_READ_IMAGE,
    SEARCH_READ_VERIFICATIONS,
    SEARCHES,
    SEARCH,
    SEARCH_CAMERAS,
    DEAD_LETTERS,
    INGEST_READS,
    INGEST_OPENALPR,
    INGEST_PLATERECOGNIZER,
    INGEST_HIKVISION,
    HOTLISTS,
    HOTLIST_AUDIENCE,
    HOTLIST_ENTRIES,
    HOTLIST_IMPORT,
    HOTLIST_ENTRY,
    HOTLIST_ENTRY_REMOVE,
    HOTLIST_ENTRY_REVIEW,
    HOTLIST_ENTRY_APPROVE,
    HOTLIST_REVIEWS_DUE,
    HOTLIST_APPROVALS_DUE,
    LOCKER_CASES,
    LOCKER_CASE_ITEMS,
    LOCKER_PEOPLE,
    LOCKER_DUE,
    LOCKER_ESCALATED,
    LOCKER_ITEM,
    LOCKER_ITEM_REVIEWS,
    LOCKER_ITEM_ANSWER,
    LOCKER_ITEM_IMAGE,
    OVERSIGHT_REPORT,
    OVERSIGHT_INTENSITY,
    OVERSIGHT_EXTRACT,
    REGISTER,
    REGISTER_ENTRY,
    SUBJECT_ACCESS_SEARCH,
    REQUESTS,
    REQUEST,
    REQUEST_DECISION,
    REQUEST_WITHDRAW,
    REQUEST_REVOKE,
    REQUEST_OUTCOME,
    STATEMENTS,
    STATEMENT_READS,
    STATEMENT_DECISION,
    STATEMENT_PDF,
    USERS,
    USER,
    USER_RESTRICTIONS,
    USER_CHANGES,
    USER_CHANGE,
    USER_CHANGE_APPROVE,
    USER_CHANGE_REJECT,
    USER_DIRECTORY,
    WATCHES,
    WATCH,
    WATCH_LIVE,
    WATCH_CLOSE,
];

/// `template` with its parameters filled in, in order: `path(SEARCH_READ, &[&7, &42])` is
/// `/searches/7/reads/42`.
pub fn path(template: &str, values: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(template.len() + 8);
    let mut values = values.iter();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str(&rest[..open]);
        match values.next() {
            Some(v) => out.push_str(&v.to_string()),
            None => out.push_str(&rest[open..close]),
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    debug_assert!(values.next().is_none(), "more values than parameters in {template}");
    out
}

/// `path` with `query` as its query string (nothing when every field is left out).
pub fn with_query(path: &str, query: &impl Serialize) -> String {
    match serde_urlencoded::to_string(query) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_constant_is_in_the_list_of_all() {
        let source = include_str!("endpoints.rs");
        let source = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        let mut declared = Vec::new();
        for line in source.lines() {
            let Some(rest) = line.strip_prefix("pub const ") else { continue };
            let Some((name, value)) = rest.split_once(": &str = \"") else { continue };
            if value.starts_with('/') && !["BASE", "OPENAPI", "DOCS"].contains(&name) {
                declared.push(value.trim_end_matches("\";").to_owned());
            }
        }
        assert!(declared.len() > 50, "found only {} path constants", declared.len());
        let mut all: Vec<String> = ALL.iter().map(|p| p.to_string()).collect();
        all.sort();
        declared.sort();
        assert_eq!(all, declared, "ALL must list every path constant, once");
    }

    #[test]
    fn parameters_are_filled_in_order() {
        assert_eq!(path(SEARCH_READ_IMAGE, &[&7, &42, &"plate"]), "/searches/7/reads/42/images/plate");
        assert_eq!(path(REQUESTS, &[]), "/requests");
        #[derive(Serialize)]
        struct Q {
            which: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            limit: Option<i64>,
        }
        assert_eq!(with_query(REQUESTS, &Q { which: "mine", limit: None }), "/requests?which=mine");
        assert_eq!(with_query(REQUESTS, &Q { which: "a b", limit: Some(5) }), "/requests?which=a+b&limit=5");
    }
}
