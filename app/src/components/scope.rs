//! A request's scope as the pages write and read it: in a line, and camera ids as typed.

use crate::components::time::utc as when;
use shared::requests::RequestScope;

/// The scope of a request in a line.
pub fn scope_summary(scope: &RequestScope) -> String {
    let mut parts = Vec::new();
    if !scope.plates.is_empty() {
        parts.push(scope.plates.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "));
    }
    if let Some(a) = scope.area {
        parts.push(format!("area {:.3},{:.3} – {:.3},{:.3}", a.south, a.west, a.north, a.east));
    }
    if !scope.cameras.is_empty() {
        parts.push(format!("{} cameras", scope.cameras.len()));
    }
    format!("{} · {} to {}", parts.join(" · "), when(scope.from), when(scope.to))
}

pub fn list_of<T, C: FromIterator<T>>(raw: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<C, String> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(parse).collect()
}

/// Camera ids typed as a comma-separated list.
pub fn camera_ids<C: FromIterator<i64>>(raw: &str) -> Result<C, String> {
    list_of(raw, |c| c.parse().map_err(|_| format!("camera `{c}` is not an id")))
}
