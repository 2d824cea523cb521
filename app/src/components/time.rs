//! Instants as the workbench shows them: UTC with seconds (the record's own time, R21), and the
//! user's local time beside it where the browser's zone differs from UTC.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use leptos::prelude::*;

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// How times are written in forms: ISO 8601 in UTC, whatever the browser's locale.
pub const INPUT_TIME: &str = "%Y-%m-%d %H:%M:%S";

/// A time typed as `YYYY-MM-DD HH:MM[:SS]` (or with `T`), read as UTC.
pub fn parse_input_time(raw: &str, what: &str) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{what}: write the time as YYYY-MM-DD HH:MM:SS (UTC), not `{raw}`"))
}

/// `t` rounded up to the whole second, so that a window typed to the second from it starts
/// no earlier than `t` (a request's window may start within a second).
pub fn ceil_second(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{SubsecRound, Timelike};
    if t.nanosecond() == 0 {
        t
    } else {
        t.trunc_subsecs(0) + Duration::seconds(1)
    }
}

pub fn input_time(t: DateTime<Utc>) -> String {
    t.format(INPUT_TIME).to_string()
}

/// How long something has waited, to the minute: `2 d 3 h`, `4 h 10 min`, `25 min`.
pub fn waited(d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    match (minutes / (24 * 60), minutes / 60 % 24, minutes % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (days, h, _) => format!("{days} d {h} h"),
    }
}

/// The browser's offset from UTC at `t` (summer time included), or none outside the browser.
fn local_offset(t: DateTime<Utc>) -> Option<Duration> {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t.timestamp_millis() as f64));
        // JavaScript gives minutes *behind* UTC.
        Some(Duration::minutes(-(date.get_timezone_offset() as i64)))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = t;
        None
    }
}

/// `t` in the local zone, as `HH:MM:SS (UTC+01:00)` (with the date when it differs from UTC's),
/// or nothing when the local zone is UTC.
pub fn local_beside(t: DateTime<Utc>) -> Option<String> {
    let offset = local_offset(t).filter(|o| !o.is_zero())?;
    Some(beside(t, offset))
}

fn beside(t: DateTime<Utc>, offset: Duration) -> String {
    let local = t.naive_utc() + offset;
    let minutes = offset.num_minutes();
    let sign = if minutes < 0 { '-' } else { '+' };
    let zone = format!("UTC{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60);
    let format = if local.date() == t.date_naive() { "%H:%M:%S" } else { "%Y-%m-%d %H:%M:%S" };
    format!("{} local ({zone})", local.format(format))
}

/// An instant in UTC with seconds; once the page runs in the browser, the local time beside it.
/// The server renders UTC only, and the local part is added after hydration (so both agree).
#[component]
pub fn Time(at: DateTime<Utc>) -> impl IntoView {
    let running = RwSignal::new(false);
    Effect::new(move |_| running.set(true));
    view! {
        <time datetime=at.to_rfc3339()>{utc(at)}</time>
        {move || running.get().then(|| local_beside(at)).flatten().map(|l| view! { " " <small class="local">{l}</small> })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_is_written_with_its_zone_and_the_date_when_it_differs() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T23:30:05Z").unwrap().with_timezone(&Utc);
        assert_eq!(beside(t, Duration::minutes(-300)), "18:30:05 local (UTC-05:00)");
        assert_eq!(beside(t, Duration::minutes(60)), "2026-12-02 00:30:05 local (UTC+01:00)");
        assert_eq!(utc(t), "2026-12-01 23:30:05 UTC");
    }

    #[test]
    fn times_are_typed_in_iso_form_as_utc() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T08:05:09Z").unwrap().with_timezone(&Utc);
        assert_eq!(parse_input_time("2026-12-01 08:05:09", "From"), Ok(at));
        assert_eq!(parse_input_time(" 2026-12-01T08:05:09 ", "From"), Ok(at));
        assert_eq!(parse_input_time("2026-12-01 08:05", "From"), Ok(at - Duration::seconds(9)));
        assert_eq!(input_time(at), "2026-12-01 08:05:09");
        assert_eq!(
            parse_input_time("01/12/2026 08:05", "From"),
            Err("From: write the time as YYYY-MM-DD HH:MM:SS (UTC), not `01/12/2026 08:05`".into())
        );
        assert_eq!(waited(Duration::minutes(25)), "25 min");
        assert_eq!(waited(Duration::minutes(250)), "4 h 10 min");
        assert_eq!(waited(Duration::hours(51)), "2 d 3 h");
    }

    #[test]
    fn a_window_typed_to_the_second_starts_inside_the_one_given() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T08:05:09.250Z").unwrap().with_timezone(&Utc);
        assert_eq!(input_time(ceil_second(t)), "2026-12-01 08:05:10");
        let whole = DateTime::parse_from_rfc3339("2026-12-01T08:05:09Z").unwrap().with_timezone(&Utc);
        assert_eq!(ceil_second(whole), whole);
    }
}
