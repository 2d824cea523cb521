//! Searching reads under an approved request (R10, R12): vehicle history by plate — exact,
//! partial or misread-tolerant (R5) — or everything in an area over a time range. Results show
//! on the map as journeys with playback along a time slider, in a timeline beside it, and in
//! the read detail with its images.

use crate::api;
use crate::components::map::{LeafletMap, MapHandle};
use crate::components::outcome::{sendable, Interactive, Message, Outcome};
use crate::components::scope::{camera_ids, RequestChoice};
use crate::components::search_actions::SearchActions;
use crate::components::time::{ceil_second, input_time, parse_input_time, utc as when};
use crate::components::verify::VerifyPanel;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::endpoints::{path, with_query, REQUESTS, SEARCH, SEARCHES, SEARCH_CAMERAS, SEARCH_CLONES};
use shared::requests::{Area, RequestView};
use shared::requests::{RequestList, RequestsQuery};
use shared::search::PageQuery;
use shared::search::{CameraCount, NewSearch, PlateMode, SearchPage as Page, SearchQuery};
use shared::ReadView;
use std::collections::BTreeSet;

/// Rows the results table lists at a time: a screenful or two to check, cheap to swap when the
/// slider moves (the map holds all the reads fetched).
const TABLE_ROWS: usize = 100;

/// The result set shown: the search's first page and any further pages fetched.
#[derive(Clone, Debug, Default)]
struct Shown {
    search_id: i64,
    reference: String,
    total: i64,
    capped: bool,
    next: Option<String>,
}

#[component]
pub fn SearchPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/search") {
        return refused;
    }
    let requests = LocalResource::new(|| async {
        api::get::<Vec<RequestView>>(&with_query(REQUESTS, &RequestsQuery::of(RequestList::Mine))).await
    });
    let request_id = RwSignal::new(String::new());
    let mode = RwSignal::new("exact".to_owned());
    let plate = RwSignal::new(String::new());
    let cameras = RwSignal::new(String::new());
    let area = RwSignal::new(None::<Area>);
    let drawing = RwSignal::new(false);
    let now = crate::now();
    let from = RwSignal::new(input_time(now - chrono::Duration::days(7)));
    let to = RwSignal::new(input_time(now + chrono::Duration::hours(1)));
    let message: Message = RwSignal::new(None);
    let results = RwSignal::new(Vec::<ReadView>::new());
    let shown = RwSignal::new(None::<Shown>);
    let position = RwSignal::new(0usize);
    let selected = RwSignal::new(None::<ReadView>);
    let chosen = RwSignal::new(BTreeSet::<i64>::new());

    let usable = move || -> Vec<RequestView> {
        let now = crate::now();
        requests.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().filter(|r| r.usable_at(now)).collect()
    };
    // Choosing a request fills in its window and, where it names one plate, that plate.
    let choose = move |id: String| {
        request_id.set(id.clone());
        if let Some(r) = usable().into_iter().find(|r| r.id.to_string() == id) {
            // Typed to the second: inside the request's window, not a fraction before it.
            from.set(input_time(ceil_second(r.request.scope.from.max(now - chrono::Duration::days(90)))));
            to.set(input_time(r.request.scope.to));
            if let [only] = r.request.scope.plates.as_slice() {
                plate.set(only.as_str().to_owned());
                mode.set(if only.as_str().contains(['?', '*']) { "partial" } else { "exact" }.to_owned());
            }
        }
    };

    let build = move || -> Result<NewSearch, String> {
        let request_id = request_id.get_untracked().parse().map_err(|_| "choose an approved request".to_owned())?;
        let query = match mode.get_untracked().as_str() {
            "area" => SearchQuery::Area { area: area.get_untracked(), cameras: camera_ids(&cameras.get_untracked())? },
            "partial" => SearchQuery::Plate { plate: plate.get_untracked(), mode: PlateMode::Partial },
            "misread" => SearchQuery::Plate { plate: plate.get_untracked(), mode: PlateMode::Misread },
            _ => SearchQuery::Plate { plate: plate.get_untracked(), mode: PlateMode::Exact },
        };
        Ok(NewSearch {
            request_id,
            query,
            from: parse_input_time(&from.get_untracked(), "from")?,
            to: parse_input_time(&to.get_untracked(), "to")?,
        })
    };
    let show = move |page: Page, more: bool| {
        results.update(|r| {
            if !more {
                r.clear();
            }
            r.extend(page.results);
        });
        if !more {
            chosen.set(BTreeSet::new());
            selected.set(None);
        }
        position.set(results.with_untracked(|r| r.len().saturating_sub(1)));
        // What the request's purpose may not use is said beside what was found (R3, R10).
        let left_out: String = page.left_out.iter().map(|l| format!("; left out: {}", l.reason)).collect();
        message.set(Some(Ok(format!(
            "{} reads under {}{}{left_out}",
            page.total,
            page.reference,
            if page.total_capped { " or more" } else { "" }
        ))));
        shown.set(Some(Shown {
            search_id: page.search_id,
            reference: page.reference,
            total: page.total,
            capped: page.total_capped,
            next: page.next,
        }));
    };
    let clones = RwSignal::new(std::collections::HashMap::<i64, String>::new());
    // An area search's whole result, counted per camera for the map (its reads are many
    // vehicles', thousands of them: more than the table's pages).
    let counts = RwSignal::new(None::<Vec<CameraCount>>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let search = match build() {
            Ok(s) => s,
            Err(e) => return message.set(Some(Err(e))),
        };
        if !sendable(message, search.check()) {
            return;
        }
        clones.set(Default::default());
        counts.set(None);
        let area_search = matches!(search.query, SearchQuery::Area { .. });
        spawn_local(async move {
            match api::post::<_, Page>(SEARCHES, &search).await {
                Ok(page) => {
                    let id = page.search_id;
                    show(page, false);
                    if area_search {
                        match api::get::<Vec<CameraCount>>(&path(SEARCH_CAMERAS, &[&id])).await {
                            Ok(list) => counts.set(Some(list)),
                            Err(e) => message.set(Some(Err(format!("The map could not show the reads: {e}")))),
                        }
                    }
                    // Reads in a cloned-plate pair among the results are flagged on their rows (R17).
                    let pairs = api::get::<Vec<shared::verification::ClonePair>>(&path(SEARCH_CLONES, &[&id])).await;
                    clones.set(
                        pairs
                            .unwrap_or_default()
                            .into_iter()
                            .flat_map(|p| {
                                let why = format!("possible cloned plate: {}", p.gap());
                                [(p.first.id, why.clone()), (p.second.id, why)]
                            })
                            .collect(),
                    );
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    let more = move |_| {
        let Some(Shown { search_id, next: Some(after), .. }) = shown.get_untracked() else { return };
        spawn_local(async move {
            match api::get::<Page>(&with_query(&path(SEARCH, &[&search_id]), &PageQuery { after: Some(after) })).await {
                Ok(page) => show(page, true),
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };

    // Playback: play and pause, stop (back to the whole journey); the user's own choice of a
    // row or of the slider stops it.
    let playing = RwSignal::new(false);
    let timer = StoredValue::new(None::<IntervalHandle>);
    let halt = move || {
        if let Some(h) = timer.get_value() {
            h.clear();
        }
        timer.set_value(None);
        playing.set(false);
    };
    let play_pause = move |_| {
        if playing.get_untracked() {
            return halt();
        }
        let total = results.with_untracked(|r| r.len());
        if total < 2 {
            return;
        }
        if position.get_untracked() + 1 >= total {
            position.set(0);
        }
        let step = move || {
            let next = position.get_untracked() + 1;
            if next >= total {
                halt();
            } else {
                position.set(next);
            }
        };
        if let Ok(h) = set_interval_with_handle(step, std::time::Duration::from_millis(400)) {
            timer.set_value(Some(h));
            playing.set(true);
        }
    };
    let stop = move |_| {
        halt();
        position.set(results.with_untracked(|r| r.len().saturating_sub(1)));
    };
    on_cleanup(halt);

    // The read in the verification panel is the one at the slider's position, so that a
    // verdict goes to the read the map and the table point at: a read chosen in the table or on
    // the map moves the slider to it, and moving the slider (or playing) away from the read
    // being checked closes the panel.
    let choose_read = Callback::new(move |read: ReadView| {
        halt();
        if let Some(at) = results.with_untracked(|r| r.iter().position(|x| x.id == read.id)) {
            position.set(at);
        }
        selected.set(Some(read));
    });
    Effect::new(move |_| {
        let here = results.with_untracked(|r| r.get(position.get()).map(|x| x.id));
        if selected.with_untracked(|s| s.as_ref().is_some_and(|s| Some(s.id) != here)) {
            selected.set(None);
        }
    });
    // Moving through the results for verification follows the table and the map.
    let step = Callback::new(move |delta: i64| {
        let len = results.with_untracked(|r| r.len()) as i64;
        if len == 0 {
            return;
        }
        let current = selected.with_untracked(|s| s.as_ref().map(|r| r.id));
        let at = results.with_untracked(|r| current.and_then(|id| r.iter().position(|x| x.id == id)));
        let next = match at {
            Some(i) => (i as i64 + delta).clamp(0, len - 1) as usize,
            None => 0,
        };
        if let Some(read) = results.with_untracked(|r| r.get(next).cloned()) {
            choose_read.run(read);
        }
    });
    let on_ready = move |handle: MapHandle| {
        #[cfg(feature = "hydrate")]
        {
            use crate::components::journey::{draw_area, CameraCounts, Journey};
            draw_area(&handle, drawing, area.into(), Callback::new(move |a| area.set(Some(a))), false);
            let journey = StoredValue::new_local(Journey::new(&handle, choose_read));
            let layer = StoredValue::new_local(None::<CameraCounts>);
            // A plate search draws its journeys; an area search its counts per camera, with
            // only the read at the slider's position marked.
            Effect::new(move |_| {
                results.with(|all| {
                    if counts.with_untracked(Option::is_none) {
                        journey.with_value(|j| j.draw(all));
                    }
                });
            });
            Effect::new(move |_| {
                let upto = position.get();
                match counts.with_untracked(Option::is_some) {
                    true => results.with_untracked(|all| journey.with_value(|j| j.mark(all.get(upto)))),
                    false => journey.with_value(|j| j.show_upto(upto)),
                }
            });
            let handle = handle.clone();
            Effect::new(move |_| {
                let drawn = counts.with(|c| c.as_ref().map(|list| CameraCounts::draw(&handle, list)));
                if drawn.is_some() {
                    journey.with_value(|j| j.mark(None));
                }
                layer.set_value(drawn);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = handle;
    };
    let recorded = Callback::new(move |read: ReadView| {
        results.update(|r| {
            if let Some(slot) = r.iter_mut().find(|x| x.id == read.id) {
                *slot = read;
            }
        });
    });
    let search_id = Signal::derive(move || shown.with(|s| s.as_ref().map(|s| s.search_id)));
    // The table lists the rows around the slider's position, a page at a time: ten thousand
    // rows at once would make the page slow; the map shows them all.
    let table_page = Memo::new(move |_| position.get() / TABLE_ROWS);

    view! {
        <section class="page map-page search-page">
            <LeafletMap settings=crate::session::map_settings() on_ready=on_ready/>
            <aside class="side">
                <form class="stack panel" on:submit=submit data-testid="search-form"><Interactive>
                    <RequestChoice requests=Signal::derive(usable) chosen=request_id on_choose=Callback::new(choose) placeholder="Choose an approved request"/>
                    <label>"Search"
                        <select name="mode" on:change=move |ev| mode.set(event_target_value(&ev)) prop:value=move || mode.get()>
                            <option value="exact">"Vehicle history (exact plate)"</option>
                            <option value="partial">"Partial plate (AB12*, ?B12CDE)"</option>
                            <option value="misread">"Plate and its misreads"</option>
                            <option value="area">"Area and time"</option>
                        </select>
                    </label>
                    <Show when=move || mode.get() != "area" fallback=move || view! {
                        <div class="stack">
                            <button type="button" on:click=move |_| drawing.set(true)>
                                {move || if drawing.get() { "Click two corners on the map…" } else { "Draw area on the map" }}
                            </button>
                            <p class="notice" data-testid="drawn-area">{move || area.get().map(|a| format!("{:.4},{:.4} – {:.4},{:.4}", a.south, a.west, a.north, a.east)).unwrap_or_else(|| "No area drawn.".into())}</p>
                            <crate::components::camera_picker::CameraPicker ids=cameras label="And/or cameras" name="cameras"/>
                        </div>
                    }>
                        <label>"Plate" <input name="plate" bind:value=plate/></label>
                    </Show>
                    <label>"From (UTC)" <input name="from" placeholder="YYYY-MM-DD HH:MM:SS" bind:value=from/></label>
                    <label>"To (UTC)" <input name="to" placeholder="YYYY-MM-DD HH:MM:SS" bind:value=to/></label>
                    <button type="submit">"Search"</button>
                    <Outcome message=message/>
                </Interactive></form>
                <Show when=move || !results.with(|r| r.is_empty())>
                    <div class="panel playback">
                        <label>"Time"
                            <input type="range" name="time" min="0" data-testid="time-slider"
                                max=move || results.with(|r| r.len().saturating_sub(1)).to_string()
                                prop:value=move || position.get().to_string()
                                on:input=move |ev| { halt(); position.set(event_target_value(&ev).parse().unwrap_or(0)) }/>
                        </label>
                        <p data-testid="slider-time">{move || results.with(|r| r.get(position.get()).map(|x| format!("#{} {} at {} ({})", position.get() + 1, x.plate, when(x.captured_at), x.camera_name)))}</p>
                        <div class="actions">
                            <button type="button" class="primary" on:click=play_pause>{move || if playing.get() { "Pause" } else { "Play journey" }}</button>
                            <button type="button" on:click=stop disabled=move || !playing.get() && results.with(|r| position.get() + 1 >= r.len())>"Stop"</button>
                        </div>
                    </div>
                </Show>
                <VerifyPanel search_id=search_id selected=selected step=step recorded=recorded/>
                <table class="grid reads" data-testid="search-results">
                    <thead><tr><th>"Choose"</th><th>"#"</th><th>"Time (UTC)"</th><th>"Plate"</th><th>"Camera"</th><th>"Check"</th></tr></thead>
                    <tbody>
                        {move || results.with(|all| {
                            let start = table_page.get() * TABLE_ROWS;
                            all.iter().enumerate().skip(start).take(TABLE_ROWS).map(|(i, r)| (i, r.clone())).collect::<Vec<_>>()
                        }).into_iter().map(|(i, r)| {
                            let pick = r.clone();
                            let id = r.id;
                            let check = match (r.verdict, &r.corrected_plate) {
                                (Some(v), Some(p)) => format!("{} → {p}", v.label()),
                                (Some(v), None) => v.label().to_owned(),
                                (None, _) => String::new(),
                            };
                            view! {
                                <tr class="pick" class:current=move || position.get() == i
                                    class:selected=move || selected.with(|s| s.as_ref().is_some_and(|s| s.id == id))
                                    on:click=move |_| choose_read.run(pick.clone())>
                                    <td on:click=|ev| ev.stop_propagation()>
                                        <input type="checkbox" aria-label=format!("choose read {id}")
                                            prop:checked=move || chosen.with(|c| c.contains(&id))
                                            on:change=move |_| chosen.update(|c| if !c.remove(&id) { c.insert(id); })/>
                                    </td>
                                    <td class="seq">{i + 1}</td>
                                    <td>{r.captured_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                    <td class="plate">{r.plate.clone()}
                                        {move || clones.with(|c| c.get(&id).cloned()).map(|why| view! {
                                            <span class="badge clone-flag" title=why.clone()>"clone?"</span>
                                        })}
                                    </td>
                                    <td>{r.camera_name.clone()}</td>
                                    <td class="check">{check}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {move || (results.with(|r| r.len()) > TABLE_ROWS).then(|| {
                    let len = results.with(|r| r.len());
                    let start = table_page.get() * TABLE_ROWS;
                    let last_page = (len - 1) / TABLE_ROWS;
                    let to_page = move |page: usize| { halt(); position.set(page * TABLE_ROWS); };
                    view! {
                        <div class="row pager" data-testid="results-pager">
                            <button type="button" disabled={table_page.get() == 0} on:click=move |_| to_page(table_page.get_untracked() - 1)>"Earlier rows"</button>
                            <span>{format!("Rows {}–{} of {len}", start + 1, (start + TABLE_ROWS).min(len))}</span>
                            <button type="button" disabled={table_page.get() >= last_page} on:click=move |_| to_page(table_page.get_untracked() + 1)>"Later rows"</button>
                        </div>
                    }
                })}
                {move || shown.get().filter(|s| s.next.is_some()).map(|s| view! {
                    <button type="button" on:click=more>{format!("More results ({} shown of {}{})", results.with(|r| r.len()), s.total, if s.capped { "+" } else { "" })}</button>
                })}
                {move || counts.get().map(|c| view! {
                    <p class="notice" data-testid="camera-counts">
                        {format!("All {} reads are on the map, counted at {} cameras; the table lists them {} at a time.",
                            c.iter().map(|c| c.reads).sum::<i64>(), c.len(), TABLE_ROWS)}
                    </p>
                })}
                {move || shown.get().map(|s| view! { <p class="notice">"Search " {s.search_id} " under " {s.reference} " is recorded in the audit log."</p> })}
                <Show when=move || shown.with(|s| s.is_some())>
                    <SearchActions search_id=search_id chosen=chosen/>
                    {move || search_id.get().map(|id| view! {
                        <a href=format!("/clones?search={id}") data-testid="clones-link">"Cloned-plate indicators among these results"</a>
                    })}
                </Show>
            </aside>
        </section>
    }
    .into_any()
}
