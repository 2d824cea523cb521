//! The annual report to oversight bodies (R23), drawn by the system for any period: its
//! sections' figures with the audit chains' heads at drawing time ([`report`]), how evenly the
//! network watches ([`intensity`]), and de-identified aggregates for independent analysis
//! ([`extract`]). A count small enough to point at one investigation (1 to k − 1, k being
//! `oversight.min_count`) is shown only as "fewer than k" ([`Count`](shared::oversight::Count)).

pub mod extract;
pub mod intensity;
pub mod report;

use crate::clock::to_millis;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use shared::oversight::PeriodQuery;

/// Whole days, UTC: the first and the last included, and their bounds in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The first instant in it and the first after it.
    pub start: i64,
    pub end: i64,
}

impl Period {
    /// The period `query` names at `now`: a year from 2000 to this one (to today), or days from 1 January
    /// 2000 to today, the first not after the last. Anything else is refused naming the field.
    pub fn of(query: &PeriodQuery, now: DateTime<Utc>) -> AppResult<Period> {
        let first_year = crate::access::policy::FIRST_YEAR;
        let today = now.date_naive();
        let (from, to) = match (query.year, query.from, query.to) {
            (Some(year), None, None) => {
                let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d);
                match (day(year, 1, 1), day(year, 12, 31)) {
                    // This year's report runs to today.
                    (Some(from), Some(to)) if (first_year..=now.year()).contains(&year) => (from, to.min(today)),
                    _ => {
                        return Err(AppError::field(
                            "year",
                            format!("{year} is not a year the figures can cover: from {first_year} to {}", now.year()),
                        ))
                    }
                }
            }
            (None, Some(from), Some(to)) => (from, to),
            (Some(_), _, _) => return Err(AppError::field("year", "name a year, or from and to, not both".into())),
            (None, None, _) => return Err(AppError::field("from", "name a year, or the first day `from`".into())),
            (None, Some(_), None) => return Err(AppError::field("to", "name the last day `to`".into())),
        };
        let earliest = NaiveDate::from_ymd_opt(first_year, 1, 1).expect("a day");
        if from < earliest {
            return Err(AppError::field("from", format!("{from} is before {earliest}: nothing is that old")));
        }
        if to > today {
            return Err(AppError::field("to", format!("{to} is after today ({today})")));
        }
        if from > to {
            return Err(AppError::field("to", format!("{to} is before {from}")));
        }
        let midnight = |d: NaiveDate| to_millis(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
        let end = to.checked_add_days(Days::new(1)).expect("a day after one before today");
        Ok(Period { from, to, start: midnight(from), end: midnight(end) })
    }

    /// Its first and last day, as the file names and the documents give them.
    pub fn label(&self) -> String {
        format!("{}_{}", self.from, self.to)
    }
}
