//! Pattern analyses under a request made for one (R10–R13): convoy, several places, vehicle
//! description and pattern of life. Each result is drawn on the map and listed; any vehicle
//! it names can have its history searched under the same request; its reads export through
//! the marked exports (R14).

use crate::api;
use crate::components::bars::Bars;
use crate::components::map::{LeafletMap, MapHandle};
use crate::components::outcome::{sendable, Interactive, Message, Outcome};
use crate::components::scope::{camera_ids, RequestChoice};
use crate::components::search_actions::SearchActions;
use crate::components::time::{ceil_second, input_time, parse_input_time, utc as when};
use crate::components::verify::VerifyPanel;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::analysis::{Analysis, AnalysisResult, PlaceWindow, CONVOY_WINDOW_SECONDS};
use shared::endpoints::{path, with_query, REQUESTS, SEARCH, SEARCHES, SEARCH_CAMERAS};
use shared::requests::{RequestList, RequestView, RequestsQuery};
use shared::search::{CameraCount, NewSearch, PageQuery, PlateMode, SearchPage as Page, SearchQuery};
use shared::ReadView;
use std::collections::BTreeSet;

/// One place-and-time window of the several-places form.
#[derive(Clone, Copy)]
struct WindowForm {
    cameras: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
}

impl WindowForm {
    fn new(from: &str, to: &str) -> Self {
        WindowForm {
            cameras: RwSignal::new(String::new()),
            from: RwSignal::new(from.to_owned()),
            to: RwSignal::new(to.to_owned()),
        }
    }
}

/// What an analysis run found: its first page, the rest of its reads, and what it made of them.
#[derive(Clone, Debug)]
struct Ran {
    search_id: i64,
    reference: String,
    request_id: i64,
    analysis: Option<AnalysisResult>,
}

/// Fetches every page of search `page.search_id` after the first: an analysis's reads are
/// drawn on the map whole.
async fn every_read(mut page: Page) -> Result<Vec<ReadView>, String> {
    let mut reads = std::mem::take(&mut page.results);
    while let Some(after) = page.next.take() {
        let url = with_query(&path(SEARCH, &[&page.search_id]), &PageQuery { after: Some(after) });
        page = api::get::<Page>(&url).await?;
        reads.append(&mut page.results);
    }
    Ok(reads)
}

#[component]
pub fn AnalysisPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/analysis") {
        return refused;
    }
    let requests = LocalResource::new(|| async {
        api::get::<Vec<RequestView>>(&with_query(REQUESTS, &RequestsQuery::of(RequestList::Mine))).await
    });
    let now = crate::now();
    let request_id = RwSignal::new(String::new());
    let kind = RwSignal::new(None::<Analysis>);
    let plate = RwSignal::new(String::new());
    let window_seconds = RwSignal::new(CONVOY_WINDOW_SECONDS.to_string());
    let from = RwSignal::new(input_time(now - chrono::Duration::days(30)));
    let to = RwSignal::new(input_time(now + chrono::Duration::hours(1)));
    let windows = RwSignal::new(Vec::<WindowForm>::new());
    let min_windows = RwSignal::new("2".to_owned());
    let (make, model, colour) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let cameras = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    let ran = RwSignal::new(None::<Ran>);
    let reads = RwSignal::new(Vec::<ReadView>::new());
    let counts = RwSignal::new(None::<Vec<CameraCount>>);
    // The vehicle whose sightings are drawn (beside the target's, for a convoy).
    let vehicle = RwSignal::new(None::<String>);
    let history = RwSignal::new(None::<(String, Vec<ReadView>, i64)>);
    let selected = RwSignal::new(None::<ReadView>);
    let chosen = RwSignal::new(BTreeSet::<i64>::new());

    let usable = move || -> Vec<RequestView> {
        let now = crate::now();
        let all = requests.get().and_then(|r| r.ok()).unwrap_or_default();
        all.into_iter().filter(|r| r.usable_at(now) && r.request.scope.analysis.is_some()).collect()
    };
    let choose = move |id: String| {
        request_id.set(id.clone());
        let Some(r) = usable().into_iter().find(|r| r.id.to_string() == id) else { return kind.set(None) };
        let scope = &r.request.scope;
        kind.set(scope.analysis);
        let start = input_time(ceil_second(scope.from.max(now - chrono::Duration::days(90))));
        from.set(start.clone());
        to.set(input_time(scope.to));
        if let Some(target) = scope.plates.iter().find(|p| !p.as_str().contains(['?', '*'])) {
            plate.set(target.as_str().to_owned());
        }
        if windows.with_untracked(Vec::is_empty) {
            let end = input_time(scope.to);
            windows.set(vec![WindowForm::new(&start, &end), WindowForm::new(&start, &end)]);
        }
    };

    let build = move || -> Result<NewSearch, String> {
        let request_id =
            request_id.get_untracked().parse().map_err(|_| "choose a request made for an analysis".to_owned())?;
        let text = |s: RwSignal<String>| Some(s.get_untracked().trim().to_owned()).filter(|t| !t.is_empty());
        let query = match kind.get_untracked().ok_or("choose a request made for an analysis")? {
            Analysis::Convoy => SearchQuery::Convoy {
                plate: plate.get_untracked(),
                window_seconds: window_seconds
                    .get_untracked()
                    .trim()
                    .parse()
                    .map_err(|_| "the window is a number of seconds".to_owned())?,
            },
            Analysis::Pattern => SearchQuery::Pattern { plate: plate.get_untracked() },
            Analysis::Description => SearchQuery::Description {
                make: text(make),
                model: text(model),
                colour: text(colour),
                plate: text(plate),
                area: None,
                cameras: camera_ids(&cameras.get_untracked())?,
            },
            Analysis::Places => {
                let mut each = Vec::new();
                for (i, w) in windows.get_untracked().into_iter().enumerate() {
                    each.push(PlaceWindow {
                        area: None,
                        cameras: camera_ids(&w.cameras.get_untracked())?,
                        from: parse_input_time(&w.from.get_untracked(), &format!("window {} from", i + 1))?,
                        to: parse_input_time(&w.to.get_untracked(), &format!("window {} to", i + 1))?,
                    });
                }
                SearchQuery::Places {
                    windows: each,
                    min_windows: min_windows.get_untracked().trim().parse().map_err(|_| "K is a number".to_owned())?,
                }
            }
        };
        let (from, to) = match &query {
            // The search's range is the windows' together.
            SearchQuery::Places { windows, .. } if !windows.is_empty() => (
                windows.iter().map(|w| w.from).min().expect("a window"),
                windows.iter().map(|w| w.to).max().expect("a window"),
            ),
            _ => (parse_input_time(&from.get_untracked(), "from")?, parse_input_time(&to.get_untracked(), "to")?),
        };
        Ok(NewSearch { request_id, query, from, to })
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let search = match build() {
            Ok(s) => s,
            Err(e) => return message.set(Some(Err(e))),
        };
        if !sendable(message, search.check()) {
            return;
        }
        // A description's reads, and a several-places analysis's in every window, counted
        // per camera on the map.
        let counted = matches!(search.query, SearchQuery::Description { .. } | SearchQuery::Places { .. });
        let request_id = search.request_id;
        ran.set(None);
        reads.set(Vec::new());
        counts.set(None);
        vehicle.set(None);
        history.set(None);
        selected.set(None);
        spawn_local(async move {
            let page = match api::post::<_, Page>(SEARCHES, &search).await {
                Ok(page) => page,
                Err(e) => return message.set(Some(Err(e))),
            };
            message.set(Some(Ok(format!(
                "{} reads under {}{} — recorded in the audit log",
                page.total,
                page.reference,
                if page.total_capped { " or more" } else { "" }
            ))));
            let done = Ran {
                search_id: page.search_id,
                reference: page.reference.clone(),
                request_id,
                analysis: page.analysis.clone(),
            };
            let id = page.search_id;
            if let Some(AnalysisResult::Convoy(c)) = &page.analysis {
                vehicle.set(c.associates.first().map(|a| a.plate.clone()));
            }
            if let Some(AnalysisResult::Places(p)) = &page.analysis {
                vehicle.set(p.vehicles.first().map(|v| v.plate.clone()));
            }
            ran.set(Some(done));
            match every_read(page).await {
                Ok(all) => reads.set(all),
                Err(e) => message.set(Some(Err(e))),
            }
            if counted {
                match api::get::<Vec<CameraCount>>(&path(SEARCH_CAMERAS, &[&id])).await {
                    Ok(list) => counts.set(Some(list)),
                    Err(e) => message.set(Some(Err(format!("The map could not show the reads: {e}")))),
                }
            }
        });
    };

    // A named vehicle's history under the same request.
    let open_history = move |plate: String| {
        let Some(r) = ran.get_untracked() else { return };
        let search = NewSearch {
            request_id: r.request_id,
            query: SearchQuery::Plate { plate: plate.clone(), mode: PlateMode::Exact },
            from: match parse_input_time(&from.get_untracked(), "from") {
                Ok(t) => t,
                Err(e) => return message.set(Some(Err(e))),
            },
            to: match parse_input_time(&to.get_untracked(), "to") {
                Ok(t) => t,
                Err(e) => return message.set(Some(Err(e))),
            },
        };
        spawn_local(async move {
            match api::post::<_, Page>(SEARCHES, &search).await {
                Ok(page) => {
                    let id = page.search_id;
                    match every_read(page).await {
                        Ok(all) => history.set(Some((plate, all, id))),
                        Err(e) => message.set(Some(Err(e))),
                    }
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };

    // The reads drawn: a history when one is open; else the target's and the chosen vehicle's
    // (convoy), the chosen vehicle's (several places) or all (vehicle description, pattern).
    let drawn = Memo::new(move |_| {
        if let Some((_, h, _)) = history.get() {
            return h;
        }
        let all = reads.get();
        match (ran.with(|r| r.as_ref().and_then(|r| r.analysis.clone())), vehicle.get()) {
            (Some(AnalysisResult::Convoy(c)), Some(v)) => {
                all.into_iter().filter(|r| r.best_plate() == c.target || r.best_plate() == v).collect()
            }
            (Some(AnalysisResult::Places(_)), Some(v)) => all.into_iter().filter(|r| r.best_plate() == v).collect(),
            _ => all,
        }
    });
    let pattern_cameras = Memo::new(move |_| match ran.with(|r| r.as_ref().and_then(|r| r.analysis.clone())) {
        Some(AnalysisResult::Pattern(p)) => Some(p.cameras),
        _ => counts.get(),
    });

    let on_ready = move |handle: MapHandle| {
        #[cfg(feature = "hydrate")]
        {
            use crate::components::journey::{CameraCounts, Journey};
            let journey = Journey::new(&handle, Callback::new(move |read| selected.set(Some(read))));
            let layer = StoredValue::new_local(None::<CameraCounts>);
            // A pattern of life is drawn as its cameras' counts, not as one long journey.
            Effect::new(move |_| {
                let pattern = ran
                    .with(|r| matches!(r.as_ref().and_then(|r| r.analysis.as_ref()), Some(AnalysisResult::Pattern(_))));
                let shown = if pattern && history.with(Option::is_none) { Vec::new() } else { drawn.get() };
                journey.draw(&shown);
            });
            let handle = handle.clone();
            Effect::new(move |_| {
                let list = pattern_cameras.get();
                let on_map = history.with(Option::is_none).then_some(list).flatten();
                layer.set_value(on_map.map(|l| CameraCounts::draw(&handle, &l)));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (handle, pattern_cameras);
    };

    let step = Callback::new(move |delta: i64| {
        let list = drawn.get_untracked();
        let at = selected.with_untracked(|s| s.as_ref().and_then(|s| list.iter().position(|r| r.id == s.id)));
        let next = at.map_or(0, |i| (i as i64 + delta).clamp(0, list.len() as i64 - 1) as usize);
        selected.set(list.get(next).cloned());
    });
    let recorded = Callback::new(move |read: ReadView| {
        reads.update(|all| {
            if let Some(slot) = all.iter_mut().find(|x| x.id == read.id) {
                *slot = read;
            }
        });
    });
    let search_id = Signal::derive(move || match history.get() {
        Some((_, _, id)) => Some(id),
        None => ran.with(|r| r.as_ref().map(|r| r.search_id)),
    });
    let text = move |label: &'static str, name: &'static str, value: RwSignal<String>| {
        view! { <label>{label} <input name=name bind:value=value/></label> }
    };

    view! {
        <section class="page map-page analysis-page">
            <LeafletMap settings=crate::session::map_settings() on_ready=on_ready/>
            <aside class="side">
                <form class="stack panel" on:submit=submit data-testid="analysis-form"><Interactive>
                    <RequestChoice requests=Signal::derive(usable) chosen=request_id on_choose=Callback::new(choose) placeholder="Choose a request approved for an analysis"/>
                    {move || match kind.get() {
                        None => view! { <p class="notice">"An analysis runs only under a request made and approved for it."</p> }.into_any(),
                        Some(Analysis::Convoy) => view! {
                            <p class="notice">"Vehicles seen at the target's cameras close in time to it, ranked by the distinct places they shared, quiet places counting most."</p>
                            {text("Target plate", "plate", plate)}
                            {text("Within ± seconds", "window_seconds", window_seconds)}
                        }.into_any(),
                        Some(Analysis::Pattern) => view! {
                            <p class="notice">"Where and when the plate is seen: its cameras, hours of the day and days of the week."</p>
                            {text("Plate", "plate", plate)}
                        }.into_any(),
                        Some(Analysis::Description) => view! {
                            <p class="notice">"As witnesses say it: VW finds Volkswagen, grey finds silver."</p>
                            {text("Make", "make", make)}{text("Model", "model", model)}{text("Colour", "colour", colour)}
                            {text("Partial plate (optional: AB12*)", "plate", plate)}
                            <crate::components::camera_picker::CameraPicker ids=cameras label="Cameras (default: all the request covers)" name="cameras"/>
                        }.into_any(),
                        Some(Analysis::Places) => view! {
                            <p class="notice">"Vehicles seen near at least K of several incidents: each a place and a time."</p>
                            {move || windows.get().into_iter().enumerate().map(|(i, w)| view! {
                                <fieldset class="window" data-testid="place-window">
                                    <legend>{format!("Place {}", i + 1)}</legend>
                                    <crate::components::camera_picker::CameraPicker ids=w.cameras label="Cameras" name=format!("window{i}-cameras")/>
                                    <label>"From (UTC)" <input name=format!("window{i}-from") bind:value=w.from/></label>
                                    <label>"To (UTC)" <input name=format!("window{i}-to") bind:value=w.to/></label>
                                </fieldset>
                            }).collect_view()}
                            <div class="actions">
                                <button type="button" on:click=move |_| windows.update(|w| if w.len() < 10 {
                                    let (f, t) = w.last().map(|l| (l.from.get_untracked(), l.to.get_untracked())).unwrap_or_default();
                                    w.push(WindowForm::new(&f, &t));
                                })>"Add a place"</button>
                                <button type="button" on:click=move |_| windows.update(|w| if w.len() > 2 { w.pop(); })>"Remove the last"</button>
                            </div>
                            {text("Seen in at least K places", "min_windows", min_windows)}
                        }.into_any(),
                    }}
                    <Show when=move || kind.get().is_some_and(|k| k != Analysis::Places)>
                        <label>"From (UTC)" <input name="from" placeholder="YYYY-MM-DD HH:MM:SS" bind:value=from/></label>
                        <label>"To (UTC)" <input name="to" placeholder="YYYY-MM-DD HH:MM:SS" bind:value=to/></label>
                    </Show>
                    <button type="submit" class="primary">"Run the analysis"</button>
                    <Outcome message=message/>
                </Interactive></form>
                {move || history.get().map(|(plate, h, id)| view! {
                    <div class="panel" data-testid="history">
                        <h3>{format!("History of {plate}: {} reads (search {id})", h.len())}</h3>
                        <button type="button" on:click=move |_| history.set(None)>"Back to the analysis"</button>
                    </div>
                })}
                <VerifyPanel search_id=search_id selected=selected step=step recorded=recorded/>
                {move || ran.get().map(|r| view! {
                    <Findings ran=r vehicle=vehicle open_history=Callback::new(open_history)/>
                })}
                <Show when=move || ran.with(Option::is_some)>
                    <ReadTable reads=drawn selected=selected/>
                    <SearchActions search_id=search_id chosen=chosen/>
                </Show>
            </aside>
        </section>
    }
    .into_any()
}

/// What the analysis made of its reads: the ranked vehicles, or the charts.
#[component]
fn Findings(ran: Ran, vehicle: RwSignal<Option<String>>, open_history: Callback<String>) -> impl IntoView {
    let reference = ran.reference.clone();
    let history_button = move |plate: String| {
        view! {
            <button type="button" class="small" on:click=move |ev| { ev.stop_propagation(); open_history.run(plate.clone()) }>"History"</button>
        }
    };
    let body = match ran.analysis {
        Some(AnalysisResult::Convoy(c)) => view! {
            <p class="notice">{format!("{} sightings of {} looked around (±{} s); {} vehicles beside it. Choose one to see its journey beside the target's.",
                c.target_reads.len(), c.target, c.window_seconds, c.vehicles_beside)}</p>
            <table class="grid" data-testid="associates">
                <thead><tr><th>"#"</th><th>"Plate"</th><th>"Score"</th><th>"Places"</th><th>"Times"</th><th>"Where (vehicles beside the target there)"</th><th></th></tr></thead>
                <tbody>
                    {c.associates.into_iter().enumerate().map(|(i, a)| {
                        let plate = a.plate.clone();
                        let chosen = plate.clone();
                        let parts = a.shared.iter().map(|s| format!("{} ({}: ×{:.1})", s.camera_name, s.crowd, s.weight)).collect::<Vec<_>>().join(", ");
                        view! {
                            <tr class="pick" class:selected=move || vehicle.with(|v| v.as_deref() == Some(chosen.as_str()))
                                on:click={ let p = plate.clone(); move |_| vehicle.set(Some(p.clone())) }>
                                <td>{i + 1}</td><td class="plate">{a.plate.clone()}</td><td>{format!("{:.2}", a.score)}</td>
                                <td>{a.places}</td><td>{a.sightings}</td><td class="parts">{parts}</td>
                                <td>{history_button(plate.clone())}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any(),
        Some(AnalysisResult::Places(p)) => view! {
            <p class="notice">{format!("{} vehicles seen in at least {} of the {} places.", p.vehicles.len(), p.min_windows, p.window_cameras.len())}</p>
            <table class="grid" data-testid="place-vehicles">
                <thead><tr><th>"Plate"</th><th>"Places"</th><th>"Reads in each place"</th><th></th></tr></thead>
                <tbody>
                    {p.vehicles.into_iter().map(|v| {
                        let plate = v.plate.clone();
                        let chosen = plate.clone();
                        let each = v.reads.iter().map(|r| r.len().to_string()).collect::<Vec<_>>().join(" · ");
                        view! {
                            <tr class="pick" class:selected=move || vehicle.with(|x| x.as_deref() == Some(chosen.as_str()))
                                on:click={ let p = plate.clone(); move |_| vehicle.set(Some(p.clone())) }>
                                <td class="plate">{v.plate.clone()}</td><td>{v.windows}</td><td>{each}</td>
                                <td>{history_button(plate.clone())}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any(),
        Some(AnalysisResult::Pattern(p)) => view! {
            <p class="notice" data-testid="pattern-summary">{format!("{} sightings of {}{}", p.sightings, p.plate,
                match (p.first, p.last) { (Some(f), Some(l)) => format!(", first {} and last {}", when(f), when(l)), _ => String::new() })}</p>
            <Bars title=format!("By hour of the day ({})", p.time_zone) labels=(0..24).map(|h| format!("{h:02}")).collect() values=p.hours testid="hours"/>
            <Bars title=format!("By day of the week ({})", p.time_zone) labels=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(String::from).to_vec() values=p.weekdays testid="weekdays"/>
            <table class="grid" data-testid="pattern-cameras">
                <thead><tr><th>"Camera"</th><th>"Sightings"</th><th>"First"</th><th>"Last"</th></tr></thead>
                <tbody>
                    {p.cameras.into_iter().map(|c| view! {
                        <tr><td>{c.camera_name}</td><td>{c.reads}</td><td>{when(c.first)}</td><td>{when(c.last)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any(),
        None => view! { <p class="notice">"The matching reads are listed below and counted per camera on the map."</p> }.into_any(),
    };
    view! {
        <div class="panel analysis-result" data-testid="analysis-result">
            <h3>{format!("Analysis {} under {reference}", ran.search_id)}</h3>
            {body}
        </div>
    }
}

/// The reads drawn on the map, in time order; a row chooses one for its images.
#[component]
fn ReadTable(#[prop(into)] reads: Signal<Vec<ReadView>>, selected: RwSignal<Option<ReadView>>) -> impl IntoView {
    view! {
        <table class="grid reads" data-testid="analysis-reads">
            <thead><tr><th>"Time (UTC)"</th><th>"Plate"</th><th>"Camera"</th><th>"Vehicle"</th></tr></thead>
            <tbody>
                {move || reads.get().into_iter().map(|r| {
                    let id = r.id;
                    let pick = r.clone();
                    let vehicle = [&r.colour, &r.make, &r.model].into_iter().flatten().cloned().collect::<Vec<_>>().join(" ");
                    view! {
                        <tr class="pick" class:selected=move || selected.with(|s| s.as_ref().is_some_and(|s| s.id == id))
                            on:click=move |_| selected.set(Some(pick.clone()))>
                            <td>{r.captured_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                            <td class="plate">{r.best_plate().to_owned()}</td>
                            <td>{r.camera_name.clone()}</td>
                            <td>{vehicle}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
