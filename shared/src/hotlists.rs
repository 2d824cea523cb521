//! Hotlists and how reads are matched against them (R5–R9).

use crate::form::{Problems, Validate};
use crate::plate::{skeleton, Plate, MAX_PLATE_LEN};
use crate::requests::Purpose;
use crate::roles::Role;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Days after it was added or last reviewed that an entry is due for review (R9): the default of
/// the server's `hotlists.review_days`.
pub const REVIEW_DAYS: i64 = 14;

impl EntryPattern {
    /// The letters and digits of a pattern besides its wildcards (all of a whole plate's).
    pub fn literals(&self) -> usize {
        self.as_str().chars().filter(|c| c.is_ascii_alphanumeric()).count()
    }

    pub fn is_partial(&self) -> bool {
        matches!(self, EntryPattern::Wildcard(_))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HotlistKind {
    /// Vehicles of interest.
    Voi,
    /// The violence suppression hotlist.
    Vsh,
    /// National PNC markers.
    PncMarker,
    /// An operation's own list.
    Operation,
}

impl HotlistKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HotlistKind::Voi => "voi",
            HotlistKind::Vsh => "vsh",
            HotlistKind::PncMarker => "pnc_marker",
            HotlistKind::Operation => "operation",
        }
    }

    pub fn parse(s: &str) -> Option<HotlistKind> {
        [HotlistKind::Voi, HotlistKind::Vsh, HotlistKind::PncMarker, HotlistKind::Operation]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Who receives a list's alerts (R8): everyone holding a role, or named users only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Audience {
    Role { role: Role },
    Members { user_ids: Vec<i64> },
}

/// How an entry's VRM is written: a whole plate, or a pattern with `?` (one character) and `*`
/// (any run of characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum EntryPattern {
    Plate(Plate),
    Wildcard(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("{0}")]
    Plate(#[from] crate::plate::PlateError),
    #[error("a pattern needs at least two letters or digits besides its wildcards")]
    TooVague,
}

impl EntryPattern {
    pub fn parse(raw: &str) -> Result<EntryPattern, PatternError> {
        let cleaned: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect::<String>().to_ascii_uppercase();
        if !cleaned.contains(['?', '*']) {
            return Ok(EntryPattern::Plate(Plate::parse(&cleaned)?));
        }
        let literals = cleaned.chars().filter(|c| c.is_ascii_alphanumeric()).count();
        if let Some(bad) = cleaned.chars().find(|c| !c.is_ascii_alphanumeric() && !matches!(c, '?' | '*')) {
            return Err(crate::plate::PlateError::BadCharacter(bad).into());
        }
        if cleaned.chars().filter(|c| *c != '*').count() > MAX_PLATE_LEN {
            return Err(crate::plate::PlateError::TooLong.into());
        }
        if literals < 2 {
            return Err(PatternError::TooVague);
        }
        Ok(EntryPattern::Wildcard(cleaned))
    }

    pub fn as_str(&self) -> &str {
        match self {
            EntryPattern::Plate(p) => p.as_str(),
            EntryPattern::Wildcard(w) => w,
        }
    }

    /// Whether `plate` is this plate, or fits this partial plate, character for character.
    pub fn matches(&self, plate: &str) -> bool {
        match self {
            EntryPattern::Plate(p) => p.as_str() == plate,
            EntryPattern::Wildcard(w) => {
                let pattern: Vec<char> = w.chars().collect();
                let text: Vec<char> = plate.chars().collect();
                glob(&pattern, &text, &|a, b| a == b)
            }
        }
    }
}

impl TryFrom<String> for EntryPattern {
    type Error = PatternError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        EntryPattern::parse(&value)
    }
}

impl From<EntryPattern> for String {
    fn from(p: EntryPattern) -> String {
        p.as_str().to_owned()
    }
}

/// Whether `text` matches the glob `pattern` (`?` one character, `*` any run), comparing
/// characters with `same`.
pub fn glob(pattern: &[char], text: &[char], same: &impl Fn(char, char) -> bool) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || (pattern[p] != '*' && same(pattern[p], text[t]))) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == '*' {
        p += 1;
    }
    p == pattern.len()
}

/// How sure a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The read is the entry's plate, or fits its pattern.
    Exact,
    /// The read differs only by typical misreads (R5): a possible match.
    Possible,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Possible => "possible",
        }
    }

    pub fn parse(s: &str) -> Option<MatchKind> {
        [MatchKind::Exact, MatchKind::Possible].into_iter().find(|k| k.as_str() == s)
    }
}

/// An index of live entries for matching reads as they arrive (R7): exact plates and their
/// confusion skeletons by hash; wildcard patterns by the skeleton of their first two
/// characters (a plate can only fit a pattern, even through misreads, if those agree), and the
/// few patterns that begin with a wildcard scanned for every read.
#[derive(Debug, Clone)]
pub struct MatchIndex<E: Clone> {
    exact: HashMap<String, Vec<E>>,
    skeletons: HashMap<String, Vec<(String, E)>>,
    by_head: HashMap<String, Vec<(Vec<char>, E)>>,
    headless: Vec<(Vec<char>, E)>,
    len: usize,
}

/// The skeleton of the first two characters: the bucket key of wildcard patterns.
fn head(chars: &[char]) -> Option<String> {
    let two = chars.get(..2)?;
    two.iter()
        .all(|c| c.is_ascii_alphanumeric())
        .then(|| two.iter().map(|c| crate::plate::confusion_class(*c)).collect())
}

impl<E: Clone> Default for MatchIndex<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Clone> MatchIndex<E> {
    pub fn new() -> Self {
        MatchIndex {
            exact: HashMap::new(),
            skeletons: HashMap::new(),
            by_head: HashMap::new(),
            headless: Vec::new(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn insert(&mut self, pattern: &EntryPattern, entry: E) {
        self.len += 1;
        match pattern {
            EntryPattern::Plate(p) => {
                self.exact.entry(p.as_str().to_owned()).or_default().push(entry.clone());
                self.skeletons.entry(p.skeleton()).or_default().push((p.as_str().to_owned(), entry));
            }
            EntryPattern::Wildcard(w) => {
                let chars: Vec<char> = w.chars().collect();
                match head(&chars) {
                    Some(key) => self.by_head.entry(key).or_default().push((chars, entry)),
                    None => self.headless.push((chars, entry)),
                }
            }
        }
    }

    /// Takes out `entry`, put in under `pattern`; whether it was there.
    pub fn remove(&mut self, pattern: &EntryPattern, entry: &E) -> bool
    where
        E: PartialEq,
    {
        fn take<K: std::hash::Hash + Eq, T>(map: &mut HashMap<K, Vec<T>>, key: &K, is: impl Fn(&T) -> bool) -> bool {
            let Some(bucket) = map.get_mut(key) else { return false };
            let before = bucket.len();
            bucket.retain(|t| !is(t));
            let gone = bucket.len() < before;
            if bucket.is_empty() {
                map.remove(key);
            }
            gone
        }
        let gone = match pattern {
            EntryPattern::Plate(p) => {
                let gone = take(&mut self.exact, &p.as_str().to_owned(), |e| e == entry);
                take(&mut self.skeletons, &p.skeleton(), |(_, e)| e == entry);
                gone
            }
            EntryPattern::Wildcard(w) => {
                let chars: Vec<char> = w.chars().collect();
                match head(&chars) {
                    Some(key) => take(&mut self.by_head, &key, |(_, e)| e == entry),
                    None => {
                        let before = self.headless.len();
                        self.headless.retain(|(_, e)| e != entry);
                        self.headless.len() < before
                    }
                }
            }
        };
        if gone {
            self.len -= 1;
        }
        gone
    }

    /// Every entry `plate` hits, each once, with how sure the hit is.
    pub fn matches(&self, plate: &str) -> Vec<(E, MatchKind)> {
        let mut hits = Vec::new();
        if let Some(entries) = self.exact.get(plate) {
            hits.extend(entries.iter().map(|e| (e.clone(), MatchKind::Exact)));
        }
        if let Some(entries) = self.skeletons.get(&skeleton(plate)) {
            hits.extend(entries.iter().filter(|(p, _)| p != plate).map(|(_, e)| (e.clone(), MatchKind::Possible)));
        }
        let text: Vec<char> = plate.chars().collect();
        let bucket = head(&text).and_then(|key| self.by_head.get(&key));
        let wildcards = bucket.into_iter().flatten().chain(&self.headless);
        for (pattern, entry) in wildcards {
            if glob(pattern, &text, &|a, b| a == b) {
                hits.push((entry.clone(), MatchKind::Exact));
            } else if glob(pattern, &text, &|a, b| crate::plate::confusion_class(a) == crate::plate::confusion_class(b))
            {
                hits.push((entry.clone(), MatchKind::Possible));
            }
        }
        hits
    }
}

/// A hotlist as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HotlistView {
    pub id: i64,
    pub name: String,
    pub kind: HotlistKind,
    pub audience: Audience,
    /// The purpose its alerts serve: it matches only reads whose source allows it (R3, R10).
    #[serde(default = "default_purpose")]
    pub purpose: Purpose,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn default_purpose() -> Purpose {
    Purpose::CrimeInvestigation
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewHotlist {
    pub name: String,
    pub kind: HotlistKind,
    pub audience: Audience,
    /// Crime investigation when not given.
    #[serde(default = "default_purpose")]
    pub purpose: Purpose,
}

impl NewHotlist {
    pub fn check(&self) -> Result<(), String> {
        crate::form::required(&self.name, 120, "name must be 1 to 120 characters")
    }
}

/// An entry (R6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryView {
    pub id: i64,
    pub hotlist_id: i64,
    pub vrm: String,
    pub intelligence_ref: String,
    pub reason: String,
    pub warning_markers: Vec<String>,
    pub action: String,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
    pub reviewed_at: DateTime<Utc>,
    /// When it lapses unless reviewed (R9).
    pub review_due: DateTime<Utc>,
    /// Alerts it has raised, and when the last was raised: shown only to the list's audience
    /// (R8); 0 and none to anyone else.
    #[serde(default)]
    pub hits: i64,
    #[serde(default)]
    pub last_hit_at: Option<DateTime<Utc>>,
    /// A partial plate (`?`, `*`) matches nothing until an inspector approves it (R10).
    #[serde(default)]
    pub awaiting_approval: bool,
    /// The inspector who approved a partial plate.
    #[serde(default)]
    pub approved_by: Option<String>,
    /// When a partial plate lapses, reviewed or not.
    #[serde(default)]
    pub lapses_at: Option<DateTime<Utc>>,
    /// Suspended for matching more vehicles in a day than any entry may; flagged to auditors.
    #[serde(default)]
    pub suspended: bool,
}

impl EntryView {
    /// Whether this entry names a vehicle partly seen (a pattern rather than a whole plate).
    pub fn is_pattern(&self) -> bool {
        self.vrm.contains(['?', '*'])
    }
}

/// An inspector's approval of a partial plate, with why it is necessary and proportionate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveEntry {
    pub rationale: String,
}

/// A change of a list's audience, with why (audited).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AudienceChange {
    pub audience: Audience,
    pub reason: String,
}

impl AudienceChange {
    pub fn check(&self) -> Result<(), String> {
        crate::form::required(&self.reason, 1000, "a reason of 1 to 1000 characters is required")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    pub vrm: EntryPattern,
    pub intelligence_ref: String,
    pub reason: String,
    #[serde(default)]
    pub warning_markers: Vec<String>,
    #[serde(default)]
    pub action: String,
}

impl Validate for NewEntry {
    type Error = String;

    fn problems(&self) -> Vec<(&'static str, String)> {
        let reference_ok = !self.intelligence_ref.trim().is_empty() && self.intelligence_ref.len() <= 64;
        let markers_ok = self.warning_markers.len() <= 10
            && self.warning_markers.iter().all(|m| !m.trim().is_empty() && m.len() <= 40);
        let mut p = Problems::default();
        p.require(reference_ok, "intelligence_ref", "intelligence_ref must be 1 to 64 characters".into())
            .require(
                !self.reason.trim().is_empty() && self.reason.chars().count() <= 1000,
                "reason",
                "reason must be 1 to 1000 characters".into(),
            )
            .require(markers_ok, "warning_markers", "at most 10 warning markers of 1 to 40 characters".into())
            .require(self.action.chars().count() <= 500, "action", "action must be at most 500 characters".into());
        p.into_vec()
    }
}

/// A change to an entry's particulars (its VRM is its identity: to change it, remove the entry
/// and add another). Absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EntryUpdate {
    #[serde(default)]
    pub intelligence_ref: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub warning_markers: Option<Vec<String>>,
    #[serde(default)]
    pub action: Option<String>,
}

impl EntryUpdate {
    /// The entry as it would be after this update, checked like a new one.
    pub fn apply(&self, current: &EntryView) -> Result<NewEntry, String> {
        let vrm = EntryPattern::parse(&current.vrm).map_err(|e| e.to_string())?;
        let next = NewEntry {
            vrm,
            intelligence_ref: self.intelligence_ref.clone().unwrap_or_else(|| current.intelligence_ref.clone()),
            reason: self.reason.clone().unwrap_or_else(|| current.reason.clone()),
            warning_markers: self.warning_markers.clone().unwrap_or_else(|| current.warning_markers.clone()),
            action: self.action.clone().unwrap_or_else(|| current.action.clone()),
        };
        next.check()?;
        Ok(next)
    }
}

/// A hit, as its audience sees it: the list, the entry's markers and action, and only the read
/// that hit — nothing else about the vehicle (R8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertView {
    pub id: i64,
    pub hotlist_id: i64,
    pub hotlist_name: String,
    pub kind: HotlistKind,
    pub match_kind: MatchKind,
    pub entry_vrm: String,
    pub warning_markers: Vec<String>,
    pub action: String,
    pub raised_at: DateTime<Utc>,
    pub read: crate::reads::ReadView,
    pub decision: Option<DecisionView>,
}

/// Warning markers that bear on the safety of whoever meets the vehicle, the gravest first: an
/// alert shows them before any other, and unmissably.
pub const GRAVE_MARKERS: [&str; 8] =
    ["FIREARMS", "WEAPONS", "EXPLOSIVES", "VIOLENT", "ESCAPER", "CONTAGIOUS", "SELF HARM", "DRUGS"];

/// Where `marker` stands among [`GRAVE_MARKERS`], if it is one (whatever its case).
pub fn grave_rank(marker: &str) -> Option<usize> {
    GRAVE_MARKERS.iter().position(|g| g.eq_ignore_ascii_case(marker.trim()))
}

/// Whether an action tells officers not to stop the vehicle: shown first and unmissably.
pub fn is_do_not_stop(action: &str) -> bool {
    action.to_ascii_lowercase().contains("do not stop")
}

/// The markers of several alerts (a vehicle's group), each once whatever its case, the grave
/// ones first in their order, then the rest as they came.
pub fn markers_gravest_first<'a>(markers: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in markers.into_iter().map(str::trim).filter(|m| !m.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(m)) {
            out.push(m.to_owned());
        }
    }
    // A stable sort: markers of equal rank keep the order they came in.
    out.sort_by_key(|m| grave_rank(m).unwrap_or(usize::MAX));
    out
}

/// The actions of several alerts, each once, "do not stop" first.
pub fn actions_gravest_first<'a>(actions: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in actions.into_iter().map(str::trim).filter(|a| !a.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(a)) {
            out.push(a.to_owned());
        }
    }
    out.sort_by_key(|a| !is_do_not_stop(a));
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Accepted, Outcome::Rejected].into_iter().find(|o| o.as_str() == s)
    }
}

/// A recipient's decision on a hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionView {
    pub outcome: Outcome,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertDecision {
    pub outcome: Outcome,
    /// e.g. misread, vehicle does not match, actioned.
    pub reason: String,
}

impl AlertDecision {
    pub fn check(&self) -> Result<(), String> {
        crate::form::required(&self.reason, 500, "a reason of 1 to 500 characters is required")
    }
}

/// What a CSV import did: how many entries it added, and each refused row with its line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub added: usize,
    pub refused: Vec<RefusedRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefusedRow {
    /// The line of the file (the header is line 1).
    pub line: u64,
    pub reason: String,
}

/// The query of `GET /hotlists/reviews/due`: entries due within this many days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_days: Option<i64>,
}

/// A review of an entry (R9): why it is still needed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewEntry {
    pub justification: String,
}

impl ReviewEntry {
    pub fn check(&self) -> Result<(), String> {
        crate::form::required(&self.justification, 1000, "a justification of 1 to 1000 characters is required")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RemoveEntry {
    pub reason: String,
}

impl RemoveEntry {
    pub fn check(&self) -> Result<(), String> {
        crate::form::required(
            &self.reason,
            1000,
            "a reason for removing the entry, of 1 to 1000 characters, is required",
        )
    }
}

/// Rows a part of a CSV import carries at most.
pub const IMPORT_PART_ROWS: usize = 500;
/// Bytes a part of a CSV import carries at most (besides a row longer than that on its own):
/// well within the API's 64 KiB body limit.
pub const IMPORT_PART_BYTES: usize = 48 * 1024;

/// One part of a CSV import: the file's header, then up to [`IMPORT_PART_ROWS`] of its rows in
/// at most [`IMPORT_PART_BYTES`]. A file of any length goes in part by part, and the browser
/// shows how far it has got.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPart {
    pub csv: String,
    /// The file's line its first row starts on (the header is line 1).
    pub first_line: u64,
    /// How many rows (not blank lines) it carries.
    pub rows: usize,
}

impl ImportPart {
    /// A refused row's line in the whole file, from its line in this part.
    pub fn line_in_file(&self, line_in_part: u64) -> u64 {
        line_in_part.max(2) + self.first_line - 2
    }
}

/// Splits a CSV file into parts of at most `rows` rows and `bytes` bytes, each headed by the
/// file's header. A quoted cell may hold line breaks; a row is never split.
pub fn import_parts(text: &str, rows: usize, bytes: usize) -> Vec<ImportPart> {
    // Each record with the line it starts on.
    let mut records: Vec<(u64, &str)> = Vec::new();
    let (mut start, mut line, mut start_line, mut quoted) = (0, 1u64, 1u64, false);
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '\n' => {
                line += 1;
                if !quoted {
                    records.push((start_line, &text[start..=i]));
                    start = i + 1;
                    start_line = line;
                }
            }
            _ => {}
        }
    }
    if start < text.len() {
        records.push((start_line, &text[start..]));
    }
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else { return Vec::new() };
    let header = if header.ends_with('\n') { header.to_owned() } else { format!("{header}\n") };
    let mut parts: Vec<ImportPart> = Vec::new();
    for (at, record) in records {
        let blank = record.trim().is_empty();
        match parts.last_mut() {
            Some(part) if blank || (part.rows < rows.max(1) && part.csv.len() + record.len() <= bytes) => {
                part.csv.push_str(record);
                part.rows += usize::from(!blank);
            }
            _ if blank => {}
            _ => parts.push(ImportPart { csv: format!("{header}{record}"), first_line: at, rows: 1 }),
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_groups_markers_come_once_the_gravest_first() {
        let seen = ["stolen", "violent", "Firearms", "FIREARMS", " ", "drugs", "Violent"];
        assert_eq!(markers_gravest_first(seen), ["Firearms", "violent", "drugs", "stolen"]);
        assert_eq!(grave_rank("self harm"), Some(6));
        assert_eq!(grave_rank("stolen"), None);
        let actions = ["report sighting", "Do not stop; report at once", "report sighting"];
        assert_eq!(actions_gravest_first(actions), ["Do not stop; report at once", "report sighting"]);
    }

    fn index(patterns: &[&str]) -> MatchIndex<usize> {
        let mut index = MatchIndex::new();
        for (i, p) in patterns.iter().enumerate() {
            index.insert(&EntryPattern::parse(p).unwrap(), i);
        }
        index
    }

    #[test]
    fn stored_names_round_trip_and_unknown_ones_are_refused() {
        for k in [MatchKind::Exact, MatchKind::Possible] {
            assert_eq!(MatchKind::parse(k.as_str()), Some(k));
        }
        for o in [Outcome::Accepted, Outcome::Rejected] {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(HotlistKind::parse("pnc_marker"), Some(HotlistKind::PncMarker));
        assert_eq!((MatchKind::parse("Exact"), Outcome::parse("maybe"), HotlistKind::parse("")), (None, None, None));
    }

    #[test]
    fn patterns_are_plates_or_wildcards() {
        assert_eq!(EntryPattern::parse("ab12 cde").unwrap(), EntryPattern::Plate(Plate::parse("AB12CDE").unwrap()));
        assert_eq!(EntryPattern::parse("ab12?cd").unwrap(), EntryPattern::Wildcard("AB12?CD".into()));
        assert_eq!(EntryPattern::parse("AB*").unwrap(), EntryPattern::Wildcard("AB*".into()));
        assert_eq!(EntryPattern::parse("A*"), Err(PatternError::TooVague));
        assert_eq!(EntryPattern::parse("??*"), Err(PatternError::TooVague));
        assert!(EntryPattern::parse("AB_*").is_err());
    }

    #[test]
    fn exact_confusable_and_wildcard_matches_and_their_edges() {
        let idx = index(&["AB12CDE", "AB12?CD", "AB*", "?B51SMR", "XY*99"]);
        let hits = |plate: &str| {
            let mut h = idx.matches(plate);
            h.sort();
            h
        };
        assert_eq!(hits("AB12CDE"), vec![(0, MatchKind::Exact), (2, MatchKind::Exact)]);
        // One typical misread away: a possible match only (R5).
        assert_eq!(hits("A812CDE"), vec![(0, MatchKind::Possible), (2, MatchKind::Possible)]);
        assert_eq!(hits("AB12XCD"), vec![(1, MatchKind::Exact), (2, MatchKind::Exact)]);
        assert_eq!(hits("AB12XCDE"), vec![(2, MatchKind::Exact)], "? is exactly one character");
        assert_eq!(hits("AB"), vec![(2, MatchKind::Exact)], "* may be empty");
        assert_eq!(hits("ZB51SMR"), vec![(3, MatchKind::Exact)]);
        assert_eq!(hits("Z851SMR"), vec![(3, MatchKind::Possible)]);
        assert_eq!(hits("XY12399"), vec![(4, MatchKind::Exact)]);
        assert_eq!(hits("XY1239"), vec![]);
        assert_eq!(hits("CD34EFG"), vec![], "a different plate");
        assert_eq!(hits("AB12CDF"), vec![(2, MatchKind::Exact)], "F is no misread of E");
        assert_eq!(idx.len(), 5);
    }

    #[test]
    fn an_entry_taken_out_no_longer_matches_and_the_others_still_do() {
        let mut idx = index(&["AB12CDE", "AB12CDE", "AB12?CD", "?B51SMR"]);
        let pattern = |p: &str| EntryPattern::parse(p).unwrap();
        assert!(idx.remove(&pattern("AB12CDE"), &0));
        assert!(!idx.remove(&pattern("AB12CDE"), &0), "taken out once");
        assert!(!idx.remove(&pattern("AB12?CD"), &3), "not under that pattern");
        assert_eq!(idx.matches("AB12CDE"), vec![(1, MatchKind::Exact)]);
        assert_eq!(idx.matches("A812CDE"), vec![(1, MatchKind::Possible)]);
        assert!(idx.remove(&pattern("AB12?CD"), &2));
        assert!(idx.remove(&pattern("?B51SMR"), &3));
        assert_eq!(idx.matches("AB12XCD"), vec![]);
        assert_eq!(idx.matches("ZB51SMR"), vec![]);
        assert_eq!(idx.len(), 1);
        assert!(idx.remove(&pattern("AB12CDE"), &1));
        assert!(idx.is_empty() && idx.exact.is_empty() && idx.skeletons.is_empty() && idx.by_head.is_empty());
    }

    #[test]
    fn an_import_is_sent_in_parts_that_keep_the_header_whole_rows_and_the_file_s_lines() {
        let text = "vrm,intelligence_ref,reason\nAB12CDE,I1,r\n\nBC12DEF,I2,\"two\nlines\"\nCD12EFG,I3,r\nDE12FGH,I4,r";
        let parts = import_parts(text, 2, 1024);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].csv, "vrm,intelligence_ref,reason\nAB12CDE,I1,r\n\nBC12DEF,I2,\"two\nlines\"\n");
        assert_eq!((parts[0].first_line, parts[0].rows), (2, 2));
        assert_eq!(parts[1].csv, "vrm,intelligence_ref,reason\nCD12EFG,I3,r\nDE12FGH,I4,r");
        assert_eq!((parts[1].first_line, parts[1].rows), (6, 2));
        // The second part's first row (its line 2) is the file's line 6; its next, line 7.
        assert_eq!((parts[1].line_in_file(2), parts[1].line_in_file(3)), (6, 7));
        assert!(import_parts("", 2, 1024).is_empty());
        assert!(import_parts("vrm,intelligence_ref,reason\n\n", 2, 1024).is_empty(), "a header alone sends nothing");
        let many: String = std::iter::once("vrm,intelligence_ref,reason\n".to_owned())
            .chain((0..1_201).map(|i| format!("AB{i:04},I,r\n")))
            .collect();
        let parts = import_parts(&many, IMPORT_PART_ROWS, IMPORT_PART_BYTES);
        assert_eq!(parts.iter().map(|p| p.rows).collect::<Vec<_>>(), [500, 500, 201]);
        assert_eq!(parts.iter().map(|p| p.first_line).collect::<Vec<_>>(), [2, 502, 1002]);
        // Long rows fill a part by its bytes first.
        let long: String = std::iter::once("vrm,intelligence_ref,reason\n".to_owned())
            .chain((0..100).map(|i| format!("AB{i:04},I,{}\n", "r".repeat(999))))
            .collect();
        let parts = import_parts(&long, IMPORT_PART_ROWS, IMPORT_PART_BYTES);
        assert!(parts.len() > 2 && parts.iter().all(|p| p.csv.len() <= IMPORT_PART_BYTES), "{}", parts.len());
        assert_eq!(parts.iter().map(|p| p.rows).sum::<usize>(), 100);
    }
}

string_schema!(EntryPattern, "A whole plate, or a pattern with `?` (one character) and `*` (any run of characters).");
