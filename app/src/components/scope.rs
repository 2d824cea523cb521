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
    if let Some(a) = scope.analysis {
        parts.insert(0, format!("{} analysis", a.as_str()));
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

/// "Under request": a choice among `requests`, each shown by its reference and scope.
#[leptos::component]
pub fn RequestChoice(
    #[prop(into)] requests: leptos::prelude::Signal<Vec<shared::requests::RequestView>>,
    chosen: leptos::prelude::RwSignal<String>,
    on_choose: leptos::prelude::Callback<String>,
    placeholder: &'static str,
) -> impl leptos::IntoView {
    use leptos::prelude::*;
    view! {
        <label>"Under request"
            <select name="request" on:change=move |ev| on_choose.run(event_target_value(&ev)) prop:value=move || chosen.get()>
                <option value="">{placeholder}</option>
                {move || requests.get().into_iter().map(|r| view! {
                    <option value=r.id.to_string()>{format!("{} — {}", r.reference, scope_summary(&r.request.scope))}</option>
                }).collect_view()}
            </select>
        </label>
    }
}
