//! The alert tray: hits of the lists whose audience the user is in, as they happen (R7, R8),
//! each with only its read and the plate patch, to accept or reject with a reason.

use crate::api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::hotlists::{AlertDecision, AlertView, Outcome};

#[component]
pub fn AlertTray() -> impl IntoView {
    let alerts = RwSignal::new(Vec::<AlertView>::new());
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;
        spawn_local(async move {
            if let Ok(list) = api::get::<Vec<AlertView>>("/alerts").await {
                alerts.set(list.into_iter().filter(|a| a.decision.is_none()).collect());
            }
        });
        if let Ok(source) = web_sys::EventSource::new(&format!("{}/alerts/live", api::BASE)) {
            let on_alert = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                if let Some(alert) = event.data().as_string().and_then(|t| serde_json::from_str::<AlertView>(&t).ok()) {
                    alerts.update(|list| {
                        if !list.iter().any(|a| a.id == alert.id) {
                            list.insert(0, alert);
                        }
                    });
                }
            });
            let _ = source.add_event_listener_with_callback("alert", on_alert.as_ref().unchecked_ref());
            let kept = StoredValue::new_local(Some((source, on_alert)));
            on_cleanup(move || {
                kept.update_value(|k| {
                    if let Some((source, _)) = k.take() {
                        source.close();
                    }
                })
            });
        }
    }
    let reason = RwSignal::new(String::new());
    let open = RwSignal::new(true);
    let decide = move |id: i64, outcome: Outcome| {
        let body = AlertDecision { outcome, reason: reason.get_untracked() };
        spawn_local(async move {
            if api::post::<_, AlertView>(&format!("/alerts/{id}/decision"), &body).await.is_ok() {
                alerts.update(|list| list.retain(|a| a.id != id));
            }
        });
    };
    view! {
        <Show when=move || !alerts.with(|a| a.is_empty())>
            <aside class="alert-tray" data-testid="alert-tray">
                <h2>
                    {move || format!("Hotlist alerts ({})", alerts.with(|a| a.len()))}
                    <button class="small" on:click=move |_| open.update(|o| *o = !*o)>
                        {move || if open.get() { "Hide" } else { "Show" }}
                    </button>
                </h2>
                <div class="alert-list" class:hidden=move || !open.get()>
                <label>"Reason for your decision" <input name="decision-reason" bind:value=reason/></label>
                <For each=move || alerts.get() key=|a| a.id let:a>
                    {
                        let id = a.id;
                        let patch = a.read.has_plate_image.then(|| {
                            let src = format!("{}/alerts/{id}/images/plate", api::BASE);
                            view! { <img class="alert-plate" src=src alt="plate patch"/> }
                        });
                        view! {
                            <div class=format!("alert alert-{}", if a.match_kind == shared::hotlists::MatchKind::Exact { "exact" } else { "possible" })
                                data-plate=a.read.plate.clone()>
                                <div class="alert-head"><strong class="plate">{a.read.plate.clone()}</strong> " · " {a.hotlist_name.clone()}
                                    {(a.match_kind == shared::hotlists::MatchKind::Possible).then(|| view! { <em>" (possible: listed as " {a.entry_vrm.clone()} ")"</em> })}
                                </div>
                                {patch}
                                <div>{a.read.captured_at.format("%H:%M:%S").to_string()} " at " {a.read.camera_name.clone()}</div>
                                <div class="markers">{a.warning_markers.join(", ")} " " {a.action.clone()}</div>
                                <button class="small" on:click=move |_| decide(id, Outcome::Accepted)>"Accept"</button>
                                <button class="small" on:click=move |_| decide(id, Outcome::Rejected)>"Reject"</button>
                            </div>
                        }
                    }
                </For>
                </div>
            </aside>
        </Show>
    }
}
