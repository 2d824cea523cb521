//! The map. Without a watch it shows the camera network and the user's own alerts, nothing
//! else (R10). Investigators open a live-time watch under an approved request whose window
//! covers now: the reads it matches arrive on the map and in the list as they are stored, and
//! are checked in the verification panel (R15). System admins see the network's health as
//! figures — status, reads in the last hour, the last read, refusals, silent cameras — and no
//! reads.

use crate::api;
use crate::components::map::{LeafletMap, MapHandle, MapLegend};
use crate::components::outcome::{sendable, Interactive, Message, Outcome};
use crate::components::scope::{camera_ids, scope_summary};
use crate::components::time::utc as when;
use crate::components::verify::VerifyPanel;
use chrono::{DateTime, Utc};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::endpoints::{path, with_query, CAMERAS, CAMERA_HEALTH, REQUESTS, WATCHES, WATCH_CLOSE};
use shared::requests::RequestView;
use shared::requests::{RequestList, RequestsQuery};
use shared::search::{PlateMode, SearchQuery};
use shared::watch::{NewWatch, WatchEnded, WatchView};
use shared::{CameraHealth, ReadView, Role};
use std::collections::VecDeque;

#[component]
pub fn MapPage() -> impl IntoView {
    let user = match crate::session::page_user("/map") {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let investigator = user.has(Role::Investigator);
    let admin = user.has(Role::SystemAdmin);
    let health = RwSignal::new(Vec::<CameraHealth>::new());
    let reads = RwSignal::new(VecDeque::<ReadView>::new());
    let selected = RwSignal::new(None::<ReadView>);
    let active = RwSignal::new(None::<WatchView>);
    let ended = RwSignal::new(None::<WatchEnded>);
    let handle = StoredValue::new_local(None::<MapHandle>);
    let ready = RwSignal::new(false);

    let on_ready = move |h: MapHandle| {
        #[cfg(feature = "hydrate")]
        {
            crate::components::live::show_cameras(&h, admin.then_some(health));
            if investigator {
                crate::components::live::show_alerts(&h);
            }
        }
        handle.set_value(Some(h));
        ready.set(true);
    };

    // "Show on map" from the alert tray: look at the sighting's camera.
    #[cfg(feature = "hydrate")]
    if let Some(crate::components::alerts::MapFocus(focus)) = use_context() {
        Effect::new(move |_| {
            let Some((lat, lon)) = focus.get() else { return };
            if !ready.get() {
                return;
            }
            handle.with_value(|h| {
                if let Some(h) = h {
                    h.map.set_view(&leaflet::LatLng::new(lat, lon), 16.0);
                }
            });
            focus.set(None);
        });
    }

    // The open watch's stream follows the watch chosen; leaving the page closes it.
    #[cfg(feature = "hydrate")]
    {
        let stream = StoredValue::new_local(None::<crate::components::live::LiveWatch>);
        Effect::new(move |_| {
            let id = active.with(|w| w.as_ref().filter(|w| w.closed_at.is_none()).map(|w| w.id));
            if !ready.get() {
                return;
            }
            stream.set_value(None);
            reads.set(VecDeque::new());
            selected.set(None);
            ended.set(None);
            if let Some(id) = id {
                let opened = handle.with_value(|h| {
                    h.as_ref().and_then(|h| crate::components::live::watch(h, id, reads, selected, ended))
                });
                stream.set_value(opened);
            }
        });
        on_cleanup(move || stream.set_value(None));
    }

    // Investigators check reads as they arrive (R15): the next read is the next older one.
    let step = Callback::new(move |delta: i64| {
        let current = selected.with_untracked(|s| s.as_ref().map(|r| r.id));
        let next = reads.with_untracked(|list| {
            let at = current.and_then(|id| list.iter().position(|r| r.id == id))?;
            let to = (at as i64 + delta).clamp(0, list.len() as i64 - 1) as usize;
            list.get(to).cloned()
        });
        if next.is_some() {
            selected.set(next);
        }
    });
    let recorded = Callback::new(move |read: ReadView| {
        reads.update(|list| {
            if let Some(slot) = list.iter_mut().find(|r| r.id == read.id) {
                *slot = read;
            }
        });
    });
    let watch_id = Signal::derive(move || active.with(|w| w.as_ref().map(|w| w.id)));

    view! {
        <section class="page map-page">
            // The cameras (with their health, for admins) are fetched while the page's code
            // loads, not after: the map draws them as soon as it is open.
            <link rel="preload" href={api::url(if admin { CAMERA_HEALTH } else { CAMERAS })} as="fetch" crossorigin="anonymous"/>
            <LeafletMap settings=crate::session::map_settings() on_ready=on_ready/>
            <aside class="side">
                <MapLegend silent=admin reads=investigator/>
                {if investigator {
                    view! {
                        <WatchPanel active=active ended=ended/>
                        <Show when=move || active.with(|a| a.is_some())>
                            <VerifyPanel search_id=watch_id selected=selected step=step recorded=recorded/>
                            <h2>"Reads of this watch"</h2>
                            <table class="grid reads" data-testid="watch-reads">
                                <thead><tr><th>"Plate"</th><th>"Time (UTC)"</th><th>"Camera"</th></tr></thead>
                                <tbody>
                                    <For each=move || reads.get() key=|r| r.id let:r>
                                        {
                                            let chosen = r.clone();
                                            let id = r.id;
                                            view! {
                                                <tr class="pick" class:selected=move || selected.with(|s| s.as_ref().is_some_and(|s| s.id == id))
                                                    on:click=move |_| selected.set(Some(chosen.clone()))>
                                                    <td class="plate">{r.plate.clone()}</td>
                                                    <td>{r.captured_at.format("%H:%M:%S").to_string()}</td>
                                                    <td>{r.camera_name.clone()}</td>
                                                </tr>
                                            }
                                        }
                                    </For>
                                </tbody>
                            </table>
                        </Show>
                    }.into_any()
                } else {
                    ().into_any()
                }}
                {admin.then(|| view! { <HealthPanel health=health/> })}
                {(!investigator && !admin).then(|| view! {
                    <p class="notice">"Camera sites and your alerts. Reads are seen only under a search request, by investigators."</p>
                })}
            </aside>
        </section>
    }
    .into_any()
}

/// Opening, choosing and closing live-time watches.
#[component]
fn WatchPanel(active: RwSignal<Option<WatchView>>, ended: RwSignal<Option<WatchEnded>>) -> impl IntoView {
    let requests = LocalResource::new(|| async {
        api::get::<Vec<RequestView>>(&with_query(REQUESTS, &RequestsQuery::of(RequestList::Mine))).await
    });
    let watches = LocalResource::new(|| api::get::<Vec<WatchView>>(WATCHES));
    let request_id = RwSignal::new(String::new());
    let mode = RwSignal::new("exact".to_owned());
    let plate = RwSignal::new(String::new());
    let cameras = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    let watchable = move || -> Vec<RequestView> {
        let now = crate::now();
        requests.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().filter(|r| r.watchable_at(now)).collect()
    };
    let open = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Ok(request_id) = request_id.get_untracked().parse::<i64>() else {
            return message.set(Some(Err("choose an approved request whose window covers now".into())));
        };
        let query = match mode.get_untracked().as_str() {
            "area" => match camera_ids(&cameras.get_untracked()) {
                Ok(ids) => SearchQuery::Area { area: None, cameras: ids },
                Err(e) => return message.set(Some(Err(e))),
            },
            m => {
                let mode = match m {
                    "partial" => PlateMode::Partial,
                    "misread" => PlateMode::Misread,
                    _ => PlateMode::Exact,
                };
                SearchQuery::Plate { plate: plate.get_untracked(), mode }
            }
        };
        let body = NewWatch { request_id, query };
        if !sendable(message, body.query.check(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)) {
            return;
        }
        spawn_local(async move {
            match api::post::<_, WatchView>(WATCHES, &body).await {
                Ok(w) => {
                    let left_out: String = w.left_out.iter().map(|l| format!(" Left out: {}.", l.reason)).collect();
                    message.set(Some(Ok(format!(
                        "Watching under {} until {}.{left_out}",
                        w.reference,
                        when(w.ends_at)
                    ))));
                    active.set(Some(w));
                    watches.refetch();
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    let close = move |id: i64| {
        spawn_local(async move {
            match api::post::<_, WatchView>(&path(WATCH_CLOSE, &[&id]), &serde_json::json!({})).await {
                Ok(w) => {
                    message
                        .set(Some(Ok(format!("Watch under {} closed; {} reads delivered.", w.reference, w.delivered))));
                    if active.with_untracked(|a| a.as_ref().is_some_and(|a| a.id == id)) {
                        active.set(None);
                    }
                    watches.refetch();
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    view! {
        <form class="stack panel" on:submit=open data-testid="watch-form"><Interactive>
            <h2>"Live-time watch"</h2>
            <p class="notice">"Reads are shown only as a watch under an approved request finds them."</p>
            <label>"Under request"
                <select name="request" on:change=move |ev| request_id.set(event_target_value(&ev)) prop:value=move || request_id.get()>
                    <option value="">"Choose a request whose window covers now"</option>
                    {move || watchable().into_iter().map(|r| view! {
                        <option value=r.id.to_string()>{format!("{} — {}", r.reference, scope_summary(&r.request.scope))}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Watch for"
                <select name="mode" on:change=move |ev| mode.set(event_target_value(&ev)) prop:value=move || mode.get()>
                    <option value="exact">"A plate"</option>
                    <option value="partial">"A partial plate (AB12*, ?B12CDE)"</option>
                    <option value="misread">"A plate and its misreads"</option>
                    <option value="area">"Cameras"</option>
                </select>
            </label>
            <Show when=move || mode.get() != "area" fallback=move || view! {
                <crate::components::camera_picker::CameraPicker ids=cameras label="Cameras" name="cameras"/>
            }>
                <label>"Plate" <input name="plate" bind:value=plate/></label>
            </Show>
            <button type="submit">"Open watch"</button>
            <Outcome message=message/>
        </Interactive></form>
        {move || ended.get().map(|e| view! {
            <p class="notice" role="status" data-testid="watch-ended">{format!("The watch {}; {} reads delivered.", e.ended.label(), e.delivered)}</p>
        })}
        <Transition fallback=|| ()>
            {move || watches.get().and_then(|w| w.ok()).map(|list| {
                let open: Vec<WatchView> = list.into_iter().filter(|w| w.closed_at.is_none()).collect();
                (!open.is_empty()).then(|| view! {
                    <ul class="watches" data-testid="open-watches">
                        {open.into_iter().map(|w| {
                            let id = w.id;
                            let shown = w.clone();
                            view! {
                                <li class:current=move || active.with(|a| a.as_ref().is_some_and(|a| a.id == id))>
                                    {format!("{} — {} — until {}", w.reference, SearchQuery::summary(&w.query), when(w.ends_at))}
                                    " "
                                    <button type="button" on:click=move |_| active.set(Some(shown.clone()))>"Show"</button>
                                    <button type="button" on:click=move |_| close(id)>"Close"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            })}
        </Transition>
    }
}

/// The network's health for system admins: figures, never plates.
#[component]
fn HealthPanel(health: RwSignal<Vec<CameraHealth>>) -> impl IntoView {
    let silent = move || health.with(|h| h.iter().filter(|c| c.silent).cloned().collect::<Vec<_>>());
    let summary = move || {
        health.with(|h| {
            let hour: i64 = h.iter().map(|c| c.reads_last_hour).sum();
            let refused: i64 = h.iter().map(|c| c.camera.refused_reads).sum();
            format!(
                "{} cameras · {hour} reads in the last hour · {refused} refused in all · {} silent",
                h.len(),
                h.iter().filter(|c| c.silent).count()
            )
        })
    };
    view! {
        <h2>"Camera health"</h2>
        <p data-testid="health-summary">{summary}</p>
        <table class="grid" data-testid="silent-cameras">
            <thead><tr><th>"Silent camera"</th><th>"Zone"</th><th>"Last read"</th><th>"Reads today"</th></tr></thead>
            <tbody>
                {move || silent().into_iter().take(200).map(|c| view! {
                    <tr>
                        <td>{c.camera.name.clone()}</td>
                        <td>{c.camera.zone.clone()}</td>
                        <td>{c.last_read_at.map(when).unwrap_or_else(|| "none in 24 h".into())}</td>
                        <td>{c.reads_last_day}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
