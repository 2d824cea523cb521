//! Instants as the workbench shows them: UTC with seconds (the record's own time, R21), and the
//! user's local time beside it where the browser's zone differs from UTC.

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
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
}
