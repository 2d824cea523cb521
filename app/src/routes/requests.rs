//! Search requests (R10, R11): investigators submit them and follow their decisions;
//! supervisors work through the queue.

use crate::api;
use crate::components::loaded::{Loaded, LoadedList};
use crate::components::map::AreaMap;
use crate::components::outcome::{parsed, FieldError, FormState, Interactive, Message, Outcome, Submit};
use crate::components::scope::{camera_ids, list_of, scope_summary};
use crate::components::table::{holds, Sort, SortHeader};
use crate::components::time::{input_time, parse_input_time, utc as when, waited, Time};
use chrono::Duration;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use shared::analysis::Analysis;
use shared::endpoints::{
    path, with_query, REQUESTS, REQUEST_DECISION, REQUEST_OUTCOME, REQUEST_REVOKE, REQUEST_WITHDRAW,
};
use shared::hotlists::EntryPattern;
use shared::requests::{
    Area, NewRequest, Outcome as Worth, Purpose, RequestDecision, RequestOutcome, RequestScope, RequestView,
    RevokeApproval, Seriousness,
};
use shared::requests::{RequestList, RequestsQuery};
use shared::Role;

#[component]
pub fn RequestsPage() -> impl IntoView {
    let user = match crate::session::page_user("/requests") {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let (investigator, supervisor) = (user.has(Role::Investigator), user.has(Role::Supervisor));
    // The answer to a withdrawal outlives the table it was asked from, which is fetched anew.
    let withdrawn: Message = RwSignal::new(None);
    let mine = LocalResource::new(move || async move {
        if investigator {
            api::get::<Vec<RequestView>>(&with_query(REQUESTS, &RequestsQuery::of(RequestList::Mine))).await
        } else {
            Ok(Vec::new())
        }
    });
    view! {
        <section class="page">
            <h1>"Search requests"</h1>
            <OutcomesDue closing=investigator on_closed=move || mine.refetch()/>
            {supervisor.then(|| view! { <Queue/> <Decided/> })}
            {investigator.then(|| view! {
                <div class="columns">
                    <div>
                        <h2>"My requests"</h2>
                        <Outcome message=withdrawn/>
                        <Loaded what=mine let:list>
                            <RequestTable list=list message=withdrawn on_change=move || mine.refetch()/>
                        </Loaded>
                    </div>
                    <NewRequestForm on_submitted=move || mine.refetch()/>
                </div>
            })}
        </section>
    }
    .into_any()
}

/// What a request's row says of its state: withdrawn, or its status (and until when).
fn state_of(r: &RequestView) -> String {
    if let (Some(at), Some(outcome)) = (r.closed_at, r.outcome) {
        return format!("closed {} · {}", when(at), outcome.label());
    }
    match (r.withdrawn_at, r.expires_at) {
        (Some(w), _) => format!("withdrawn {}", when(w)),
        (None, Some(e)) => format!("{} until {}", r.status.as_str(), when(e)),
        (None, None) => r.status.as_str().to_owned(),
    }
}

/// Approved requests whose window or approval has ended without their outcome (R23): the
/// officer's own, each with the form that closes it; or, for a supervisor, those they approved.
#[component]
fn OutcomesDue(closing: bool, on_closed: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let due = LocalResource::new(|| async {
        api::get::<Vec<RequestView>>(&with_query(REQUESTS, &RequestsQuery::of(RequestList::OutcomeDue))).await
    });
    view! {
        <Loaded what=due let:list>
            {(!list.is_empty()).then(|| view! {
                <div class="outcomes-due card" data-testid="outcomes-due">
                    <h2>{format!("What were they worth? {} requests await their outcome", list.len())}</h2>
                    <p class="muted">"Recording the outcome closes the request: no search or watch runs under it again."</p>
                    {list.into_iter().map(|r| view! {
                        <OutcomeForm request=r closing=closing on_closed=move || { due.refetch(); on_closed() }/>
                    }).collect_view()}
                </div>
            })}
        </Loaded>
    }
}

/// One request owed its outcome: the officer chooses what it was worth and says why.
#[component]
fn OutcomeForm(
    request: RequestView,
    closing: bool,
    on_closed: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let form = FormState::default();
    let outcome = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let id = request.id;
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let mut problems = Vec::new();
        let chosen = parsed(
            &mut problems,
            "outcome",
            Worth::parse(&outcome.get_untracked()).ok_or_else(|| "choose what it was worth".to_owned()),
        );
        let body = RequestOutcome { outcome: chosen.unwrap_or(Worth::NoValue), note: note.get_untracked() };
        let Some(body) = form.checked(body, problems) else { return };
        let at = path(REQUEST_OUTCOME, &[&id]);
        form.send(async move { api::submit::<_, RequestView>("POST", &at, &body).await }, move |r| {
            on_closed();
            format!("{} closed.", r.reference)
        });
    };
    let summary = format!(
        "{} · {} · {} · window ended {}",
        request.reference,
        request.request.crime_type,
        scope_summary(&request.request.scope),
        when(request.request.scope.to)
    );
    if !closing {
        return view! { <p data-reference=request.reference.clone()>{format!("{summary} · {}", request.requester)}</p> }.into_any();
    }
    view! {
        <form class="row" on:submit=submit data-reference=request.reference.clone()>
            <Interactive>
                <span>{summary}</span>
                <label>"Outcome" <select name="outcome" on:change=move |ev| outcome.set(event_target_value(&ev))>
                    <option value="">"Choose…"</option>
                    {Worth::ALL.map(|o| view! { <option value=o.as_str()>{o.label()}</option> }).collect_view()}
                </select></label>
                <FieldError form=form field="outcome"/>
                <label>"Note" <input name="note" bind:value=note/></label>
                <FieldError form=form field="note"/>
                <Submit form=form label="Close with outcome"/>
            </Interactive>
        </form>
    }
    .into_any()
}

/// An investigator's own requests: filtered by status and text, sorted by any dated column.
#[component]
fn RequestTable(
    list: Vec<RequestView>,
    message: Message,
    on_change: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="notice">"No requests yet."</p> }.into_any();
    }
    let find = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let sort = Sort::by("submitted", true);
    // Withdrawing ends every search and watch under the request (R10); it asks first.
    let withdraw = move |id: i64, reference: String| {
        let sure = crate::confirm(&format!("Withdraw {reference}? No search or watch will run under it again."));
        if !sure {
            return;
        }
        leptos::task::spawn_local(async move {
            match crate::api::post::<_, RequestView>(&path(REQUEST_WITHDRAW, &[&id]), &serde_json::json!({})).await {
                Ok(r) => {
                    message.set(Some(Ok(format!("{} withdrawn.", r.reference))));
                    on_change();
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    let rows =
        move || {
            let mut shown: Vec<RequestView> = list
                .iter()
                .filter(|r| {
                    let state = state_of(r);
                    let wanted = status.get();
                    (wanted.is_empty() || state.starts_with(&wanted))
                        && holds(
                            &find.get(),
                            &[&r.reference, &r.request.crime_type, &r.request.reason, &scope_summary(&r.request.scope)],
                        )
                })
                .cloned()
                .collect();
            sort.get().apply(&mut shown, |a, b, column| match column {
                "reference" => a.reference.cmp(&b.reference),
                "status" => state_of(a).cmp(&state_of(b)),
                _ => a.submitted_at.cmp(&b.submitted_at),
            });
            shown.into_iter().map(|r| {
            let (id, reference) = (r.id, r.reference.clone());
            let withdrawable = r.withdrawn_at.is_none() && r.status != shared::requests::RequestStatus::Rejected;
            let decision = match (&r.decided_by, &r.rationale) {
                (Some(by), Some(why)) => format!("{by}: {why}"),
                _ => String::new(),
            };
            view! {
                <tr data-reference=r.reference.clone()>
                    <td>{r.reference.clone()}</td>
                    <td>{when(r.submitted_at)}</td>
                    <td>{format!("{} ({})", r.request.crime_type, r.request.seriousness.as_str())}</td>
                    <td>{scope_summary(&r.request.scope)}</td>
                    <td class="status">{state_of(&r)}</td>
                    <td>{decision}</td>
                    <td>{withdrawable.then(|| view! {
                        <button type="button" on:click=move |_| withdraw(id, reference.clone())>"Withdraw"</button>
                    })}</td>
                </tr>
            }
        }).collect_view()
        };
    view! {
        <div class="filters" data-testid="request-filters">
            <label>"Find" <input name="find" type="search" placeholder="reference, crime, plate" bind:value=find/></label>
            <label>"Status"
                <select name="status" on:change=move |ev| status.set(event_target_value(&ev)) prop:value=move || status.get()>
                    <option value="">"All"</option>
                    <option value="pending">"Pending"</option>
                    <option value="approved">"Approved"</option>
                    <option value="rejected">"Rejected"</option>
                    <option value="withdrawn">"Withdrawn"</option>
                </select>
            </label>
        </div>
        <table class="grid" data-testid="my-requests">
            <thead><tr>
                <SortHeader sort=sort column="reference" label="Reference"/>
                <SortHeader sort=sort column="submitted" label="Submitted (UTC)"/>
                <th>"Crime"</th><th>"Scope"</th>
                <SortHeader sort=sort column="status" label="Status"/>
                <th>"Decision"</th><th></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

fn optional_area(fields: [&str; 4]) -> Result<Option<Area>, String> {
    if fields.iter().all(|f| f.trim().is_empty()) {
        return Ok(None);
    }
    let mut v = [0.0; 4];
    for (slot, raw) in v.iter_mut().zip(fields) {
        *slot = raw.trim().parse().map_err(|_| format!("area: `{raw}` is not a number"))?;
    }
    Ok(Some(Area { south: v[0], west: v[1], north: v[2], east: v[3] }))
}

#[component]
fn NewRequestForm(on_submitted: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let now = crate::now();
    let purpose = RwSignal::new(Purpose::CrimeInvestigation.as_str().to_owned());
    let seriousness = RwSignal::new("serious".to_owned());
    let crime_type = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let plates = RwSignal::new(String::new());
    let cameras = RwSignal::new(String::new());
    let area = [(); 4].map(|_| RwSignal::new(String::new()));
    let from = RwSignal::new(input_time(now - Duration::days(30)));
    // Minute precision: the window runs to the end of the coming hour, so reads of this
    // minute are inside it.
    let to = RwSignal::new(input_time(now + Duration::hours(1)));
    let handling = RwSignal::new(String::new());
    // "", "no" or "yes": a request for an analysis must answer it.
    let surveillance = RwSignal::new(String::new());
    let analysis = RwSignal::new(String::new());
    let dsa = RwSignal::new(String::new());
    let form = FormState::default();
    let clear = move || {
        for field in
            [crime_type, reason, plates, cameras, handling, dsa, surveillance, analysis].into_iter().chain(area)
        {
            field.set(String::new());
        }
    };

    // Every field is read, and every problem named beside its field, before anything is sent.
    let build = move || -> Option<NewRequest> {
        let mut problems = Vec::new();
        let p = &mut problems;
        let area_fields = area.map(|s| s.get_untracked());
        let plates = parsed(
            p,
            "plates",
            list_of(&plates.get_untracked(), |p| EntryPattern::parse(p).map_err(|e| format!("{p}: {e}"))),
        );
        let area =
            parsed(p, "area", optional_area([&area_fields[0], &area_fields[1], &area_fields[2], &area_fields[3]]));
        let cameras = parsed(p, "cameras", camera_ids(&cameras.get_untracked()));
        let from = parsed(p, "from", parse_input_time(&from.get_untracked(), "from"));
        let to = parsed(p, "to", parse_input_time(&to.get_untracked(), "to"));
        // A field that could not be read stands in as empty (its problem is shown already), so
        // that the other fields' problems show with it.
        let one = Duration::seconds(1);
        let (from, to) = match (from, to) {
            (Some(f), Some(t)) => (f, t),
            (Some(f), None) => (f, f + one),
            (None, Some(t)) => (t - one, t),
            (None, None) => (now - one, now),
        };
        let (plates, area, cameras) = (plates.unwrap_or_default(), area.flatten(), cameras.unwrap_or_default());
        let new = NewRequest {
            purpose: Purpose::parse(&purpose.get_untracked()).unwrap_or(Purpose::CrimeInvestigation),
            reason: reason.get_untracked(),
            crime_type: crime_type.get_untracked(),
            seriousness: Seriousness::parse(&seriousness.get_untracked()).unwrap_or(Seriousness::Serious),
            scope: RequestScope {
                plates,
                area,
                cameras,
                from,
                to,
                analysis: Analysis::parse(&analysis.get_untracked()),
            },
            handling: handling.get_untracked(),
            surveillance: match surveillance.get_untracked().as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            dsa_reference: Some(dsa.get_untracked()).filter(|d| !d.trim().is_empty()),
        };
        form.checked(new, problems)
    };
    // The area as typed, or drawn, shown on the form's map.
    let typed_area = Signal::derive(move || {
        let fields = area.map(|s| s.get());
        optional_area([&fields[0], &fields[1], &fields[2], &fields[3]]).ok().flatten()
    });
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(new) = build() else { return };
        form.send(async move { api::submit::<_, RequestView>("POST", REQUESTS, &new).await }, move |r| {
            clear();
            on_submitted();
            format!("Submitted as {}.", r.reference)
        });
    };
    let text = move |label: &'static str, name: &'static str, value: RwSignal<String>| {
        view! { <label>{label} <input name=name bind:value=value/></label><FieldError form=form field=name/> }
    };
    view! {
        <form class="stack panel" on:submit=submit data-testid="new-request"><Interactive>
            <h2>"New request"</h2>
            <label>"Purpose"
                <select name="purpose" on:change=move |ev| purpose.set(event_target_value(&ev)) prop:value=move || purpose.get()>
                    {Purpose::ALL.into_iter().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                </select>
            </label>
            {text("Crime type", "crime_type", crime_type)}
            <label>"Seriousness"
                <select name="seriousness" on:change=move |ev| seriousness.set(event_target_value(&ev)) prop:value=move || seriousness.get()>
                    <option value="serious">"Serious crime"</option>
                    <option value="volume">"Volume crime (inspector approves)"</option>
                </select>
            </label>
            <label>"Reason" <textarea name="reason" bind:value=reason></textarea></label><FieldError form=form field="reason"/>
            <label>"For"
                <select name="analysis" on:change=move |ev| analysis.set(event_target_value(&ev)) prop:value=move || analysis.get()>
                    <option value="">"Searches (plate history, partial plate, area)"</option>
                    {Analysis::ALL.into_iter().map(|a| view! {
                        <option value=a.as_str()>{format!("Analysis: {}{}", a.label(), if a.needs_inspector() { " — inspector approves" } else { "" })}</option>
                    }).collect_view()}
                </select>
            </label>
            {text("Plates or partial plates (comma-separated)", "plates", plates)}
            <fieldset class="area">
                <legend>"Area (degrees, optional)"</legend>
                <AreaMap shown=typed_area drawn=Callback::new(move |a: Area| {
                    for (field, value) in area.iter().zip([a.south, a.west, a.north, a.east]) {
                        field.set(format!("{value:.5}"));
                    }
                })/>
                {text("South", "south", area[0])}{text("West", "west", area[1])}
                {text("North", "north", area[2])}{text("East", "east", area[3])}
                <FieldError form=form field="area"/>
            </fieldset>
            <crate::components::camera_picker::CameraPicker ids=cameras label="Cameras (optional)" name="cameras"/>
            <FieldError form=form field="cameras"/>
            <label>"From (UTC)" <input name="from" placeholder="YYYY-MM-DD HH:MM:SS" bind:value=from/></label><FieldError form=form field="from"/>
            <label>"To (UTC)" <input name="to" placeholder="YYYY-MM-DD HH:MM:SS" bind:value=to/></label><FieldError form=form field="to"/>
            <label>"Handling of the results" <textarea name="handling" bind:value=handling></textarea></label><FieldError form=form field="handling"/>
            <label>"Could the use amount to directed surveillance?"
                <select name="surveillance" on:change=move |ev| surveillance.set(event_target_value(&ev)) prop:value=move || surveillance.get()>
                    <option value="">"Not answered (an analysis must answer)"</option>
                    <option value="no">"No"</option>
                    <option value="yes">"Yes — a DSA reference is needed"</option>
                </select>
            </label>
            <FieldError form=form field="surveillance"/>
            {text("DSA reference", "dsa_reference", dsa)}
            <Submit form=form label="Submit request"/>
        </Interactive></form>
    }
}

/// Pending requests of others, for a supervisor to decide with a rationale.
#[component]
fn Queue() -> impl IntoView {
    let queue = LocalResource::new(|| async {
        api::get::<Vec<RequestView>>(&with_query(REQUESTS, &RequestsQuery::of(RequestList::Queue))).await
    });
    view! {
        <h2>"Awaiting decision"</h2>
        <LoadedList what=queue empty="Nothing awaits a decision." let:list>
            <div class="stack" data-testid="request-queue">
                {list.into_iter().map(|r| view! { <Decide request=r/> }).collect_view()}
            </div>
        </LoadedList>
    }
}

/// The requests this supervisor decided, newest first; an approval still in force can be
/// revoked here with a rationale, which stops every search and watch under it at once.
#[component]
fn Decided() -> impl IntoView {
    let decided = LocalResource::new(|| async {
        api::get::<Vec<RequestView>>(&with_query(REQUESTS, &RequestsQuery::of(RequestList::Decided))).await
    });
    let message: Message = RwSignal::new(None);
    view! {
        <h2>"Decided by you"</h2>
        <Outcome message=message/>
        <LoadedList what=decided empty="You have decided no request yet." let:list>
            <table class="grid" data-testid="decided-requests">
                <thead><tr>
                    <th>"Reference"</th><th>"Requester"</th><th>"Crime"</th><th>"Scope"</th>
                    <th>"Decided (UTC)"</th><th>"State"</th><th>"Revoke, with why"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|r| view! {
                        <DecidedRow request=r message=message on_change=move || decided.refetch()/>
                    }).collect_view()}
                </tbody>
            </table>
        </LoadedList>
    }
}

#[component]
fn DecidedRow(
    request: RequestView,
    message: Message,
    on_change: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let rationale = RwSignal::new(String::new());
    let (id, reference) = (request.id, request.reference.clone());
    let in_force = request.usable_at(crate::now()) && request.revoked_at.is_none();
    let state = match request.revoked_at {
        Some(at) => format!("revoked {}", when(at)),
        None => state_of(&request),
    };
    let revoke = move |_| {
        let body = RevokeApproval { rationale: rationale.get_untracked() };
        if let Err(e) = shared::Validate::check(&body) {
            return message.set(Some(Err(format!("Not sent: {e}."))));
        }
        let question = format!("Revoke the approval of {reference}? Its searches and watches stop at once.");
        if !crate::confirm(&question) {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::post::<_, RequestView>(&path(REQUEST_REVOKE, &[&id]), &body).await {
                Ok(r) => {
                    message.set(Some(Ok(format!("{}: approval revoked.", r.reference))));
                    on_change();
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    view! {
        <tr data-reference=request.reference.clone()>
            <td>{request.reference.clone()}</td>
            <td>{request.requester.clone()}</td>
            <td>{format!("{} ({})", request.request.crime_type, request.request.seriousness.as_str())}</td>
            <td>{scope_summary(&request.request.scope)}</td>
            <td>{request.decided_at.map(when)}</td>
            <td class="status">{state}</td>
            <td>{in_force.then(|| view! {
                <div class="row">
                    <input name="revoke-rationale" aria-label="Why revoke" placeholder="why (10+ characters)" bind:value=rationale/>
                    <button type="button" class="danger" on:click=revoke>"Revoke"</button>
                </div>
            })}</td>
        </tr>
    }
}

/// One pending request, decided in place: the answer (or the refusal, with the rationale kept)
/// stays on the card.
#[component]
fn Decide(request: RequestView) -> impl IntoView {
    let rationale = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let form = FormState::default();
    let decided = RwSignal::new(None::<RequestView>);
    let id = request.id;
    let send = move |approve: bool| {
        let mut problems = Vec::new();
        let expires_at = match expires.get_untracked() {
            e if e.trim().is_empty() => None,
            e => parsed(&mut problems, "expires_at", parse_input_time(&e, "approval expires")),
        };
        let decision = RequestDecision { approve, rationale: rationale.get_untracked(), expires_at };
        let Some(decision) = form.checked(decision, problems) else { return };
        form.send(
            async move { api::submit::<_, RequestView>("POST", &path(REQUEST_DECISION, &[&id]), &decision).await },
            move |r| {
                let expiry = r.expires_at.map(|e| format!(", until {}", when(e))).unwrap_or_default();
                let text = format!("{} {}{expiry}.", r.reference, r.status.as_str());
                decided.set(Some(r));
                text
            },
        );
    };
    let r = &request.request;
    let waiting = waited(crate::now() - request.submitted_at);
    let tier = match (request.requester_tier, request.reach_from) {
        (Some(tier), Some(from)) => {
            format!("{} — reaches back to {} ({} days)", tier.as_str(), when(from), (crate::now() - from).num_days())
        }
        (Some(tier), None) => tier.as_str().to_owned(),
        (None, _) => "none: the requester cannot search".to_owned(),
    };
    let beyond = request.reach_from.filter(|from| r.scope.from < *from).map(|from| {
        view! {
            <p class="warning" role="note" data-testid="beyond-tier">
                "The window starts " {when(r.scope.from)} ", before the requester's tier reaches ("
                {when(from)} "): the part before that cannot be searched under this request."
            </p>
        }
    });
    view! {
        <article class="panel decision" data-reference=request.reference.clone()>
            <h3>{request.reference.clone()} " — " {request.requester.clone()}</h3>
            <dl>
                <dt>"Submitted"</dt><dd><Time at=request.submitted_at/> " (waiting " {waiting} ")"</dd>
                <dt>"Requester's tier"</dt><dd>{tier}</dd>
                <dt>"Purpose"</dt><dd>{r.purpose.label()}</dd>
                <dt>"Crime"</dt><dd>{format!("{} ({} crime)", r.crime_type, r.seriousness.as_str())}</dd>
                <dt>"Reason"</dt><dd>{r.reason.clone()}</dd>
                {r.scope.analysis.map(|a| view! {
                    <dt>"Analysis"</dt><dd class="warning" data-testid="analysis-kind">{a.label()}
                        {a.needs_inspector().then_some(" — reaches vehicles nobody suspects: an inspector decides")}</dd>
                })}
                <dt>"Scope"</dt><dd>{scope_summary(&r.scope)}</dd>
                <dt>"Handling"</dt><dd>{r.handling.clone()}</dd>
                <dt>"DSA"</dt><dd>{r.dsa_reference.clone().unwrap_or_else(|| if r.surveillance == Some(true) { "required".into() } else { "not needed".into() })}</dd>
            </dl>
            {beyond}
            {r.scope.area.map(|a| view! { <AreaMap shown=Signal::derive(move || Some(a))/> })}
            <Show when=move || decided.with(Option::is_none)>
                <label>"Rationale" <textarea name="rationale" bind:value=rationale></textarea></label>
                    <FieldError form=form field="rationale"/>
                <label>"Approval expires (UTC, optional)"
                    <input name="expires" placeholder="YYYY-MM-DD HH:MM:SS" bind:value=expires/></label>
                    <FieldError form=form field="expires_at"/>
                <div class="actions">
                    <button class="primary" on:click=move |_| send(true) disabled=move || form.busy()>"Approve"</button>
                    <button class="danger" on:click=move |_| send(false) disabled=move || form.busy()>"Reject"</button>
                </div>
            </Show>
            <Outcome message=form.message/>
        </article>
    }
}
