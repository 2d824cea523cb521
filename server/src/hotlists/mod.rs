//! Hotlists (R6): lists of entries with an audience (R8), reviewed every 14 days or lapsing
//! (R9), the in-memory index every ingested read is matched against (R7), and the alerts it
//! raises.

mod alerts;
mod entries;
mod lists;
mod matcher;

pub(crate) use alerts::purge_before as purge_alerts_before;
pub use alerts::{alert_for, alerts_by_id, alerts_for, decide, publish, AlertStream};
pub use entries::{
    add_entry, approve_entry, awaiting_approval, due_for_review, entries, import_csv, lapse_overdue, remove_entry,
    review_entry, update_entry,
};
pub use lists::{change_audience, create_list, lists, purpose_of};
pub use matcher::{match_retroactively, raise_alerts, LiveEntry, Matcher, Raised};
