//! Camera governance for system admins (R3): approve, suspend and re-enable cameras one by one
//! or a whole zone, with a reason; register feeds; inspect refused payloads.

use crate::api;
use crate::components::loaded::Loaded;
use crate::components::map::CameraMap;
use crate::components::outcome::{sendable, Interactive, Message, Outcome};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::cameras::{FeedCreated, NewFeed, StatusChange, ZoneStatusChange, ZoneStatusChanged};
use shared::endpoints::{path, with_query, CAMERAS, CAMERA_STATUS, DEAD_LETTERS, FEEDS, FEED_PURPOSES, ZONE_STATUS};
use shared::reads::DeadLetter;
use shared::reads::DeadLettersQuery;
use shared::{CameraStatus, CameraView};
use std::collections::BTreeMap;

#[component]
pub fn CamerasPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/admin/cameras") {
        return refused;
    }
    let cameras = LocalResource::new(|| api::get::<Vec<CameraView>>(CAMERAS));
    let reason = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    let find = RwSignal::new(String::new());
    let status_shown = RwSignal::new(String::new());
    let zone_shown = RwSignal::new(String::new());

    let decide = move |target: Target, status: CameraStatus| {
        let why = reason.get_untracked();
        if !sendable(message, StatusChange { status, reason: why.clone() }.check()) {
            return;
        }
        // A whole zone at once is confirmed first, naming what will change and why.
        if let Target::Zone(zone) = &target {
            let count = cameras.with_untracked(|c| {
                c.as_ref().and_then(|r| r.as_ref().ok()).map_or(0, |l| l.iter().filter(|c| &c.zone == zone).count())
            });
            let question =
                format!("Set every camera of zone {zone} ({count}) to {}, with the reason \"{why}\"?", status.as_str());
            if !crate::confirm(&question) {
                return;
            }
        }
        spawn_local(async move {
            let done = match target {
                Target::Camera(id, name) => {
                    api::patch::<_, CameraView>(&path(CAMERA_STATUS, &[&id]), &StatusChange { status, reason: why })
                        .await
                        .map(|_| format!("{name} is now {}.", status.as_str()))
                }
                Target::Zone(zone) => api::post::<_, ZoneStatusChanged>(
                    ZONE_STATUS,
                    &ZoneStatusChange { zone: zone.clone(), status, reason: why },
                )
                .await
                .map(|z| format!("Zone {zone}: {} cameras now {}.", z.cameras_changed, status.as_str())),
            };
            // The reason belongs to this decision only: the next one needs its own.
            if done.is_ok() {
                reason.set(String::new());
            }
            message.set(Some(done));
            cameras.refetch();
        });
    };

    // Narrowed by what is typed (name, zone or feed id) and by status.
    let zones = move |list: Vec<CameraView>| {
        let typed = find.get().trim().to_lowercase();
        let status = status_shown.get();
        let zone = zone_shown.get();
        let mut by_zone: BTreeMap<String, Vec<CameraView>> = BTreeMap::new();
        for c in list {
            let text_ok = typed.is_empty()
                || [&c.name, &c.zone, &c.external_id].iter().any(|f| f.to_lowercase().contains(&typed));
            if text_ok && (status.is_empty() || c.status.as_str() == status) && (zone.is_empty() || c.zone == zone) {
                by_zone.entry(c.zone.clone()).or_default().push(c);
            }
        }
        if by_zone.is_empty() {
            return view! { <p class="notice">"No camera matches."</p> }.into_any();
        }
        // A search opens the zones it found cameras in.
        let open = !typed.is_empty();
        by_zone.into_iter().map(|(zone, cams)| zone_view(zone, cams, open, decide)).collect_view().into_any()
    };

    let zone_names = move || {
        let list = cameras.get().and_then(Result::ok).unwrap_or_default();
        let names: std::collections::BTreeSet<String> = list.into_iter().map(|c| c.zone).collect();
        names.into_iter().map(|z| view! { <option value=z.clone()>{z.clone()}</option> }).collect_view()
    };
    // A camera clicked on the map is found in the table below, its reads per hour charted.
    let picked = RwSignal::new(None::<CameraView>);
    let map = move || {
        cameras.get().and_then(Result::ok).map(|list| {
            let pick = Callback::new(move |c: CameraView| {
                find.set(c.external_id.clone());
                picked.set(Some(c));
            });
            view! { <div class="camera-page-map"><CameraMap cameras=list on_pick=pick/></div> }
        })
    };

    view! {
        <section class="page">
            <h1>"Cameras"</h1>
            <p class="notice">"Reads are accepted only from approved cameras (R3). Every decision needs a reason and is audited."</p>
            <div class="row panel">
                <label class="grow">"Reason for the decision" <input name="reason" bind:value=reason placeholder="e.g. governance board minute 14/3"/></label>
            </div>
            <Outcome message=message/>
            <div class="filters" data-testid="camera-filters">
                <label>"Find" <input name="find" placeholder="name, zone or feed id" bind:value=find/></label>
                <label>"Zone"
                    <select name="zone" on:change=move |ev| zone_shown.set(event_target_value(&ev))>
                        <option value="">"any"</option>
                        {zone_names}
                    </select>
                </label>
                <label>"Status"
                    <select name="status" on:change=move |ev| status_shown.set(event_target_value(&ev))>
                        <option value="">"any"</option>
                        <option value="approved">"approved"</option>
                        <option value="pending">"pending"</option>
                        <option value="suspended">"suspended"</option>
                    </select>
                </label>
            </div>
            <Transition fallback=|| ()>{map}</Transition>
            {move || picked.get().map(|c| view! { <CameraHoursCharts camera=c/> })}
            <Loaded what=cameras let:list>{zones(list)}</Loaded>
            <Feeds/>
            <DeadLetters/>
        </section>
    }
    .into_any()
}

#[derive(Clone)]
enum Target {
    Camera(i64, String),
    Zone(String),
}

fn actions(
    target: Target,
    current: Option<CameraStatus>,
    decide: impl Fn(Target, CameraStatus) + Copy + 'static,
) -> impl IntoView {
    let button = move |label: &'static str, status: CameraStatus| {
        let target = target.clone();
        (current != Some(status))
            .then(|| view! { <button class="small" on:click=move |_| decide(target.clone(), status)>{label}</button> })
    };
    let enable = if current == Some(CameraStatus::Suspended) { "Re-enable" } else { "Approve" };
    view! {
        {button(enable, CameraStatus::Approved)}
        {button("Suspend", CameraStatus::Suspended)}
    }
}

fn zone_view(
    zone: String,
    cams: Vec<CameraView>,
    open: bool,
    decide: impl Fn(Target, CameraStatus) + Copy + Send + 'static,
) -> impl IntoView {
    let count = |s: CameraStatus| cams.iter().filter(|c| c.status == s).count();
    let summary = format!(
        "{} cameras: {} approved, {} pending, {} suspended",
        cams.len(),
        count(CameraStatus::Approved),
        count(CameraStatus::Pending),
        count(CameraStatus::Suspended)
    );
    let zone_id = zone.clone();
    view! {
        <details class="zone panel" data-zone=zone_id open=open>
            <summary>
                <strong>{zone.clone()}</strong> " — " {summary} " "
                {actions(Target::Zone(zone.clone()), None, decide)}
            </summary>
            <table class="grid">
                <thead><tr><th>"Camera"</th><th>"Id"</th><th>"Status"</th><th>"Decided by"</th><th>"Reason"</th><th>"Refused reads"</th><th></th></tr></thead>
                <tbody>
                    {cams.into_iter().map(|c| {
                        let status = c.status;
                        view! {
                            <tr>
                                <td>{c.name.clone()}</td>
                                <td>{c.external_id.clone()}</td>
                                <td class=format!("status-{}", status.as_str())>{status.as_str()}</td>
                                <td>{c.status_changed_by.clone()} " " <small>{c.status_changed_at.format("%Y-%m-%d %H:%M").to_string()}</small></td>
                                <td>{c.status_reason.clone()}</td>
                                <td>{c.refused_reads}</td>
                                <td>{actions(Target::Camera(c.id, c.name.clone()), Some(status), decide)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}

#[component]
fn Feeds() -> impl IntoView {
    let feeds = LocalResource::new(|| api::get::<Vec<shared::FeedView>>(FEEDS));
    let name = RwSignal::new(String::new());
    let created = RwSignal::new(None::<Result<FeedCreated, String>>);
    let governing = RwSignal::new(None::<shared::FeedView>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewFeed { name: name.get_untracked() };
        if let Err(e) = new.check() {
            return created.set(Some(Err(format!("Not sent: {e}."))));
        }
        spawn_local(async move {
            created.set(Some(api::post::<_, FeedCreated>(FEEDS, &new).await));
            feeds.refetch();
        });
    };
    view! {
        <h2>"Feeds"</h2>
        <div class="columns">
            <div>
                <Loaded what=feeds let:list>
                    <table class="grid" data-testid="feeds">
                        <thead><tr><th>"Feed"</th><th>"Purposes its reads may serve"</th><th>"Legal basis"</th><th></th></tr></thead>
                        <tbody>{list.into_iter().map(|f| {
                            let chosen = f.clone();
                            let purposes = f.purposes.iter().map(|p| p.label()).collect::<Vec<_>>().join(", ");
                            let zones: Vec<String> = f.bases.iter().filter_map(|b| b.zone.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
                            view! {
                                <tr data-feed=f.name.clone()>
                                    <td>{f.name.clone()} " " <small>"(id " {f.id} ")"</small></td>
                                    <td>{purposes}
                                        {(!zones.is_empty()).then(|| view! { <br/><small>{format!("zones with their own basis: {}", zones.join(", "))}</small> })}
                                    </td>
                                    <td>{f.legal_basis.clone().unwrap_or_else(|| "none recorded: every purpose".into())}</td>
                                    <td><button class="small" on:click=move |_| governing.set(Some(chosen.clone()))>"Purposes…"</button></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                </Loaded>
                {move || governing.get().map(|feed| view! {
                    <PurposesDialog feed=feed on_done=move || { governing.set(None); feeds.refetch(); }/>
                })}
            </div>
            <form class="stack panel" on:submit=create><Interactive>
                <label>"New feed name" <input name="feed" bind:value=name/></label>
                <button type="submit">"Create feed"</button>
                {move || created.get().map(|c| match c {
                    Ok(c) => view! { <p class="ok">"Key for " {c.feed.name} " (shown once): " <code>{c.api_key}</code></p> }.into_any(),
                    Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                })}
            </Interactive></form>
        </div>
    }
}

/// A governance act on the purposes a feed's (or one zone's) reads may serve (R3, R10): the
/// purposes, the basis's reference, why, and from when; with every earlier act below it.
#[component]
fn PurposesDialog(feed: shared::FeedView, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    use shared::cameras::{PurposesChange, SourceBasis};
    use shared::requests::Purpose;
    let chosen = RwSignal::new(feed.purposes.clone());
    let zone = RwSignal::new(String::new());
    let basis = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    let (id, feed_name) = (feed.id, feed.name.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let effective_from = match from.get_untracked().trim() {
            "" => None,
            raw => match chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M") {
                Ok(t) => Some(t.and_utc()),
                Err(_) => return message.set(Some(Err("Not sent: effective from is not a date and time.".into()))),
            },
        };
        let zone = Some(zone.get_untracked().trim().to_owned()).filter(|z| !z.is_empty());
        let change = PurposesChange {
            purposes: chosen.get_untracked(),
            legal_basis: basis.get_untracked(),
            reason: reason.get_untracked(),
            effective_from,
            zone: zone.clone(),
        };
        if !sendable(message, change.check()) {
            return;
        }
        let whose = zone.map_or_else(|| format!("feed {}", feed_name), |z| format!("zone {z} of feed {}", feed_name));
        let words = change.purposes.iter().map(|p| p.label()).collect::<Vec<_>>().join(", ");
        if !crate::confirm(&format!("Limit the reads of {whose} to: {words}, under {}?", change.legal_basis.trim())) {
            return;
        }
        spawn_local(async move {
            let done = api::put::<_, SourceBasis>(&path(FEED_PURPOSES, &[&id]), &change).await;
            let ok = done.is_ok();
            message
                .set(Some(done.map(|b| format!("Recorded: from {} UTC.", b.effective_from.format("%Y-%m-%d %H:%M")))));
            if ok {
                on_done();
            }
        });
    };
    let toggle = move |p: Purpose| {
        chosen.update(|list| match list.iter().position(|x| *x == p) {
            Some(i) => {
                list.remove(i);
            }
            None => list.push(p),
        })
    };
    view! {
        <form class="stack panel" on:submit=submit data-testid="purposes-dialog"><Interactive>
            <h3>{format!("Purposes of the {} feed", feed.name)}</h3>
            <p class="hint">"A governance act: it applies to reads captured from its date; reads already held keep the basis they were collected under, unless the basis itself reaches back."</p>
            <fieldset><legend>"Purposes its reads may serve"</legend>
                {Purpose::ALL.into_iter().map(|p| view! {
                    <label class="inline"><input type="checkbox" name=p.as_str() prop:checked=move || chosen.get().contains(&p) on:change=move |_| toggle(p)/> {p.label()}</label>
                }).collect_view()}
            </fieldset>
            <label>"Zone (empty for the whole feed)" <input name="zone" bind:value=zone/></label>
            <label>"Legal basis (e.g. certificate reference)" <input name="legal_basis" bind:value=basis/></label>
            <label>"Reason" <textarea name="reason" bind:value=reason></textarea></label>
            <label>"Effective from (UTC; empty for now)" <input type="datetime-local" name="effective_from" bind:value=from/></label>
            <div class="row">
                <button type="submit">"Record"</button>
                <button type="button" class="secondary" on:click=move |_| on_done()>"Close"</button>
            </div>
            <Outcome message=message/>
            <h4>"Acts so far"</h4>
            {if feed.bases.is_empty() {
                view! { <p class="hint">"None: every purpose may use its reads."</p> }.into_any()
            } else {
                view! {
                    <table class="grid">
                        <thead><tr><th>"From (UTC)"</th><th>"Zone"</th><th>"Purposes"</th><th>"Basis"</th><th>"Why"</th><th>"By"</th></tr></thead>
                        <tbody>{feed.bases.iter().map(|b| view! {
                            <tr>
                                <td>{b.effective_from.format("%Y-%m-%d %H:%M").to_string()}</td>
                                <td>{b.zone.clone().unwrap_or_else(|| "whole feed".into())}</td>
                                <td>{b.purposes.iter().map(|p| p.label()).collect::<Vec<_>>().join(", ")}</td>
                                <td>{b.legal_basis.clone()}</td>
                                <td>{b.reason.clone()}</td>
                                <td>{b.recorded_by.clone()} " " <small>{b.recorded_at.format("%Y-%m-%d %H:%M").to_string()}</small></td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </Interactive></form>
    }
}

#[component]
fn DeadLetters() -> impl IntoView {
    let shown = RwSignal::new(None::<Result<Vec<DeadLetter>, String>>);
    let load = move |_| {
        spawn_local(async move {
            shown.set(Some(api::get(&with_query(DEAD_LETTERS, &DeadLettersQuery { limit: Some(50) })).await))
        })
    };
    view! {
        <h2>"Refused payloads"</h2>
        <button on:click=load>"Show the newest 50"</button>
        {move || shown.get().map(|s| match s {
            Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            Ok(list) => view! {
                <table class="grid">
                    <thead><tr><th>"When (UTC)"</th><th>"Feed"</th><th>"Format"</th><th>"Reason"</th><th>"Payload"</th></tr></thead>
                    <tbody>{list.into_iter().map(|d| view! {
                        <tr>
                            <td>{d.received_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                            <td>{d.feed_id}</td>
                            <td>{d.format}</td>
                            <td>{d.reason}</td>
                            <td><code>{d.payload}</code></td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any(),
        })}
    }
}

/// A camera's reads per hour over the last day and the last week (R23's technical
/// difficulties: what "usual for it" means, drawn).
#[component]
fn CameraHoursCharts(camera: CameraView) -> impl IntoView {
    use crate::components::bars::Bars;
    use shared::cameras::{CameraHours, HoursQuery};
    let id = camera.id;
    let hours = LocalResource::new(move || async move {
        let at = |days| with_query(&path(shared::endpoints::CAMERA_HOURS, &[&id]), &HoursQuery { days });
        let week = api::get::<CameraHours>(&at(7)).await?;
        Ok::<_, String>(week)
    });
    let label = |from: chrono::DateTime<chrono::Utc>, i: usize, fmt: &str| {
        (from + chrono::Duration::hours(i as i64)).format(fmt).to_string()
    };
    view! {
        <div class="panel camera-hours" data-testid="camera-hours">
            <h2>{format!("{}: reads per hour", camera.name)}</h2>
            <Loaded what=hours let:week>
                {
                    let day: Vec<i64> = week.reads[week.reads.len().saturating_sub(24)..].to_vec();
                    let day_from = week.from + chrono::Duration::hours((week.reads.len() - day.len()) as i64);
                    let day_labels = (0..day.len()).map(|i| label(day_from, i, "%H")).collect();
                    let week_labels = (0..week.reads.len()).map(|i| label(week.from, i, "%a %H")).collect();
                    view! {
                        <Bars title="Last 24 hours (UTC)".to_owned() labels=day_labels values=day testid="hours-day"/>
                        <Bars title="Last 7 days (UTC)".to_owned() labels=week_labels values=week.reads testid="hours-week"/>
                    }
                }
            </Loaded>
        </div>
    }
}
