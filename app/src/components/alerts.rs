//! The alert tray: hits of the lists whose audience the user is in, as they happen (R7, R8).
//! Alerts are grouped per vehicle and list — a repeat sighting joins its group and raises its
//! count — each group showing its latest sighting: time to the second, place, direction, the
//! plate patch and the overview, and every warning marker and action of the group's alerts, the
//! gravest first. A group is accepted or
//! rejected (with a reason) as one, and can be shown on the map. The tray sits in the page's
//! flow, at most a third of the window high, and hides to its header when asked.

use crate::api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::hotlists::{
    actions_gravest_first, grave_rank, is_do_not_stop, markers_gravest_first, AlertDecision, AlertView, MatchKind,
    Outcome,
};

/// The user's undecided alerts, newest first: fetched once a page load and kept up to date by
/// the live stream, by the tray; the map's alert layer follows it.
#[derive(Clone, Copy)]
pub struct AlertFeed(pub RwSignal<Vec<AlertView>>);

/// Where the map should look next: set by "Show on map", taken by the map page.
#[derive(Clone, Copy)]
pub struct MapFocus(pub RwSignal<Option<(f64, f64)>>);

/// The alerts of one vehicle on one list, newest first.
#[derive(Clone, PartialEq)]
struct Group {
    plate: String,
    hotlist_id: i64,
    alerts: Vec<AlertView>,
}

/// Groups `alerts` (newest first) per plate and list, the group with the newest sighting first.
fn grouped(alerts: &[AlertView]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for a in alerts {
        match groups.iter_mut().find(|g| g.plate == a.read.plate && g.hotlist_id == a.hotlist_id) {
            Some(g) => g.alerts.push(a.clone()),
            None => {
                groups.push(Group { plate: a.read.plate.clone(), hotlist_id: a.hotlist_id, alerts: vec![a.clone()] })
            }
        }
    }
    for g in &mut groups {
        g.alerts.sort_by_key(|a| std::cmp::Reverse(a.read.captured_at));
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.alerts[0].read.captured_at));
    groups
}

#[component]
pub fn AlertTray() -> impl IntoView {
    let alerts = use_context::<AlertFeed>().map_or_else(|| RwSignal::new(Vec::new()), |AlertFeed(feed)| feed);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;
        spawn_local(async move {
            if let Ok(list) = api::get::<Vec<AlertView>>(shared::endpoints::ALERTS).await {
                alerts.set(list.into_iter().filter(|a| a.decision.is_none()).collect());
            }
        });
        if let Ok(source) = web_sys::EventSource::new(&api::url(shared::endpoints::ALERTS_LIVE)) {
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
    let problem = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let focus = use_context::<MapFocus>();
    // Decides every alert of a group; stops at the first refusal and says why.
    let decide = move |group: Group, outcome: Outcome| {
        let body = AlertDecision { outcome, reason: reason.get_untracked() };
        // Checked as the server would before it is sent: a refusal there is an audited event.
        if let Err(e) = body.check() {
            problem.set(Some(format!("{}: {e}", group.plate)));
            done.set(None);
            return;
        }
        spawn_local(async move {
            for a in &group.alerts {
                if let Err(e) = api::post::<_, AlertView>(
                    &shared::endpoints::path(shared::endpoints::ALERT_DECISION, &[&a.id]),
                    &body,
                )
                .await
                {
                    problem.set(Some(format!("{}: {e}", group.plate)));
                    done.set(None);
                    return;
                }
                alerts.update(|list| list.retain(|x| x.id != a.id));
            }
            problem.set(None);
            reason.set(String::new());
            done.set(Some(format!("{} {} ({} sightings).", group.plate, outcome.as_str(), group.alerts.len())));
        });
    };
    let groups = Memo::new(move |_| alerts.with(|a| grouped(a)));
    view! {
        <Show when=move || !alerts.with(|a| a.is_empty()) || done.with(Option::is_some)>
            <aside class="alert-tray" class:collapsed=move || !open.get() data-testid="alert-tray">
                <h2>
                    {move || {
                        let (vehicles, sightings) = (groups.with(|g| g.len()), alerts.with(|a| a.len()));
                        format!("Hotlist alerts: {vehicles} vehicles, {sightings} sightings")
                    }}
                    <button class="small" aria-expanded=move || open.get().to_string()
                        on:click=move |_| open.update(|o| *o = !*o)>
                        {move || if open.get() { "Hide" } else { "Show" }}
                    </button>
                </h2>
                <Show when=move || open.get()>
                    <div class="alert-list" data-testid="alert-list">
                        <label>"Reason for your decision" <input name="decision-reason" bind:value=reason/></label>
                        {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
                        {move || done.get().map(|d| view! { <p class="ok" role="status">{d}</p> })}
                        <For each=move || groups.get() key=|g| (g.plate.clone(), g.hotlist_id, g.alerts.len(), g.alerts[0].id) let:g>
                            {
                                let a = g.alerts[0].clone();
                                let id = a.id;
                                let count = g.alerts.len();
                                let first = g.alerts[count - 1].read.captured_at;
                                let image = |kind: &str, class: &'static str| {
                                    let src = api::url(&shared::endpoints::path(shared::endpoints::ALERT_IMAGE, &[&id, &kind]));
                                    view! { <img class=class src=src alt=format!("{kind} image")/> }
                                };
                                let patch = a.read.has_plate_image.then(|| image("plate", "alert-plate"));
                                let overview = a.read.has_overview_image.then(|| image("overview", "alert-overview"));
                                let (lat, lon) = (a.read.lat, a.read.lon);
                                // The link goes to the map (the router handles it); the map looks here.
                                let show = move |_| {
                                    if let Some(MapFocus(f)) = focus {
                                        f.set(Some((lat, lon)));
                                    }
                                };
                                // Every marker and action of every alert in the group: an
                                // older alert's FIREARMS is not hidden by a newer one's silence.
                                let markers = markers_gravest_first(
                                    g.alerts.iter().flat_map(|a| a.warning_markers.iter().map(String::as_str)),
                                );
                                let actions = actions_gravest_first(g.alerts.iter().map(|a| a.action.as_str()));
                                let (accept, reject) = (g.clone(), g.clone());
                                view! {
                                    <div class=format!("alert alert-{}", if a.match_kind == MatchKind::Exact { "exact" } else { "possible" })
                                        data-plate=a.read.plate.clone() data-count=count.to_string()>
                                        <div class="alert-head"><strong class="plate">{a.read.plate.clone()}</strong> " · " {a.hotlist_name.clone()}
                                            {(a.match_kind == MatchKind::Possible).then(|| view! { <em>" (possible: listed as " {a.entry_vrm.clone()} ")"</em> })}
                                            {(count > 1).then(|| view! { <span class="badge">{count} " sightings"</span> })}
                                        </div>
                                        <div class="alert-images">{patch}{overview}</div>
                                        <div class="alert-when">
                                            <crate::components::time::Time at=a.read.captured_at/> " at " {a.read.camera_name.clone()}
                                            {a.read.direction.clone().map(|d| format!(", heading {d}"))}
                                        </div>
                                        {(count > 1).then(|| view! { <div class="muted">"First seen " {first.format("%H:%M:%S UTC").to_string()}</div> })}
                                        <ul class="markers" aria-label="Warning markers">
                                            {markers.into_iter().map(|m| {
                                                let grave = grave_rank(&m).is_some();
                                                view! { <li class:grave=grave>{m}</li> }
                                            }).collect_view()}
                                        </ul>
                                        <ul class="alert-actions" aria-label="Action">
                                            {actions.into_iter().map(|act| {
                                                let grave = is_do_not_stop(&act);
                                                view! { <li class:grave=grave>{act}</li> }
                                            }).collect_view()}
                                        </ul>
                                        <div class="actions">
                                            <button class="small" on:click=move |_| decide(accept.clone(), Outcome::Accepted)>"Accept"</button>
                                            <button class="small danger" on:click=move |_| decide(reject.clone(), Outcome::Rejected)>"Reject"</button>
                                            <a class="button small" href="/map" on:click=show>"Show on map"</a>
                                        </div>
                                    </div>
                                }
                            }
                        </For>
                    </div>
                </Show>
            </aside>
        </Show>
    }
}
