//! What an investigator does with a search's results: export them as the intelligence product
//! (R14, R20), preserve chosen reads in the evidence locker (R19), or ask for an evidential
//! statement over them, which a supervisor must approve (R14).

use crate::api::{self, Progress};
use crate::components::outcome::{sendable, Message, Outcome};
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::endpoints::{path, LOCKER_CASES, LOCKER_CASE_ITEMS, LOCKER_PEOPLE, SEARCH_EXPORT, STATEMENTS};
use shared::export::{ExportFormat, NewExport, NewStatement, StatementView};
use shared::locker::{CaseView, ItemView, NewCase, People, Preserve};
use std::collections::BTreeSet;

#[component]
pub fn SearchActions(search_id: Signal<Option<i64>>, chosen: RwSignal<BTreeSet<i64>>) -> impl IntoView {
    let message: Message = RwSignal::new(None);
    let recipient = RwSignal::new(String::new());
    let transfer = RwSignal::new(false);
    // How far the file has come while an export runs.
    let exporting = RwSignal::new(None::<Progress>);
    let export = move |format: ExportFormat| {
        let Some(id) = search_id.get_untracked() else { return };
        let body = NewExport { format, recipient: recipient.get_untracked(), transfer: transfer.get_untracked() };
        if !sendable(message, body.check()) {
            return;
        }
        message.set(None);
        exporting.set(Some(Progress::default()));
        spawn_local(async move {
            // The page may be left while the file comes: the download goes on and is saved.
            let answer = api::download(&path(SEARCH_EXPORT, &[&id]), &body, move |p| {
                let _ = exporting.try_set(Some(p));
            })
            .await
            .map(|name| format!("Exported {name}: recorded as a disclosure to {}", body.recipient));
            let _ = exporting.try_set(None);
            let _ = message.try_set(Some(answer));
        });
    };

    let cases = LocalResource::new(|| api::get::<Vec<CaseView>>(LOCKER_CASES));
    let people = LocalResource::new(|| api::get::<People>(LOCKER_PEOPLE));
    let case = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let crime = RwSignal::new(String::new());
    let oic = RwSignal::new(String::new());
    let supervisor = RwSignal::new(String::new());
    let preserve = move |_| {
        let Some(search_id) = search_id.get_untracked() else { return };
        let read_ids: Vec<i64> = chosen.get_untracked().into_iter().collect();
        let existing = case.get_untracked().parse::<i64>().ok();
        let new_case = move || -> Result<NewCase, String> {
            Ok(NewCase {
                title: title.get_untracked(),
                reason: reason.get_untracked(),
                crime_type: crime.get_untracked(),
                oic_id: oic.get_untracked().parse().map_err(|_| "choose the officer in charge".to_owned())?,
                oic_supervisor_id: supervisor
                    .get_untracked()
                    .parse()
                    .map_err(|_| "choose the OIC's supervisor".to_owned())?,
            })
        };
        let new_case = if existing.is_none() { Some(new_case()) } else { None };
        let checked = match &new_case {
            Some(Ok(new)) => new.check().map_err(|e| e.to_string()),
            Some(Err(e)) => Err(e.clone()),
            None => Ok(()),
        };
        let body = Preserve { search_id, read_ids };
        if !sendable(message, checked.and(body.check().map_err(|e| e.to_string()))) {
            return;
        }
        spawn_local(async move {
            let case_id = match (existing, new_case) {
                (Some(id), _) => id,
                (None, Some(Ok(new))) => match api::post::<_, CaseView>(LOCKER_CASES, &new).await {
                    Ok(c) => {
                        cases.refetch();
                        case.set(c.id.to_string());
                        for field in [title, reason, crime, oic, supervisor] {
                            field.set(String::new());
                        }
                        c.id
                    }
                    Err(e) => return message.set(Some(Err(e))),
                },
                (None, _) => return,
            };
            match api::post::<_, Vec<ItemView>>(&path(LOCKER_CASE_ITEMS, &[&case_id]), &body).await {
                Ok(added) => {
                    cases.refetch();
                    message.set(Some(Ok(format!(
                        "{} reads preserved in the evidence locker (case {case_id})",
                        added.len()
                    ))))
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };

    let statement_reason = RwSignal::new(String::new());
    let ask_statement = move |_| {
        let Some(search_id) = search_id.get_untracked() else { return };
        let body = NewStatement {
            search_id,
            read_ids: chosen.get_untracked().into_iter().collect(),
            reason: statement_reason.get_untracked(),
        };
        if !sendable(message, body.check()) {
            return;
        }
        spawn_local(async move {
            match api::post::<_, StatementView>(STATEMENTS, &body).await {
                Ok(s) => message.set(Some(Ok(format!("Statement {} asked for: a supervisor must approve it", s.id)))),
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };

    let options = |list: Vec<shared::locker::Person>| {
        list.into_iter().map(|p| view! { <option value=p.id.to_string()>{p.display_name}</option> }).collect_view()
    };
    view! {
        <div class="panel stack search-actions" data-testid="search-actions">
            <h3>"Export (OFFICIAL-SENSITIVE)"</h3>
            <label>"Recipient" <input name="recipient" bind:value=recipient placeholder="Who receives the data"/></label>
            <label class="check"><input type="checkbox" name="transfer" bind:checked=transfer/>" Transfer to another agency"</label>
            <div class="row">
                <button type="button" on:click=move |_| export(ExportFormat::Csv) prop:disabled=move || exporting.get().is_some()>
                    "Export CSV"
                </button>
                <button type="button" on:click=move |_| export(ExportFormat::Xlsx) prop:disabled=move || exporting.get().is_some()>
                    "Export XLSX"
                </button>
            </div>
            {move || exporting.get().map(|p| view! { <ExportProgress progress=p/> })}
            <h3>{move || format!("Chosen reads: {}", chosen.with(|c| c.len()))}</h3>
            <label>"Evidence locker case"
                <select name="case" on:change=move |ev| case.set(event_target_value(&ev)) prop:value=move || case.get()>
                    <option value="">"New case…"</option>
                    // Each option says whether it is the chosen one: a case just created is chosen
                    // as soon as the refreshed list holds it.
                    {move || cases.get().and_then(|c| c.ok()).unwrap_or_default().into_iter().map(|c| {
                        let id = c.id.to_string();
                        let this = id.clone();
                        view! { <option value=id selected=move || case.get() == this>{format!("{} ({} held)", c.title, c.held)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <Show when=move || case.get().is_empty()>
                <label>"Case title" <input name="case-title" bind:value=title/></label>
                <label>"Why the reads are needed" <input name="case-reason" bind:value=reason/></label>
                <label>"Crime type" <input name="case-crime" bind:value=crime/></label>
                <label>"Officer in charge"
                    <select name="oic" on:change=move |ev| oic.set(event_target_value(&ev)) prop:value=move || oic.get()>
                        <option value="">"Choose…"</option>
                        {move || options(people.get().and_then(|p| p.ok()).unwrap_or_default().investigators)}
                    </select>
                </label>
                <label>"OIC's supervisor"
                    <select name="oic-supervisor" on:change=move |ev| supervisor.set(event_target_value(&ev)) prop:value=move || supervisor.get()>
                        <option value="">"Choose…"</option>
                        {move || options(people.get().and_then(|p| p.ok()).unwrap_or_default().supervisors)}
                    </select>
                </label>
            </Show>
            <button type="button" on:click=preserve disabled=move || chosen.with(|c| c.is_empty())>"Preserve chosen reads"</button>
            <label>"Evidential statement: why it is needed" <input name="statement-reason" bind:value=statement_reason/></label>
            <button type="button" on:click=ask_statement disabled=move || chosen.with(|c| c.is_empty())>"Ask for an evidential statement"</button>
            <Outcome message=message/>
        </div>
    }
}

/// An export on its way: made on the server (no bytes yet), then received part by part.
#[component]
fn ExportProgress(progress: Progress) -> impl IntoView {
    let kb = |bytes: u64| bytes.div_ceil(1000);
    let (bar, said) = match (progress.received, progress.total) {
        (0, _) => (view! { <progress></progress> }.into_any(), "Preparing the file…".to_owned()),
        (received, Some(total)) => (
            view! { <progress max=total value=received></progress> }.into_any(),
            format!("Received {} of {} KB…", kb(received), kb(total)),
        ),
        (received, None) => (view! { <progress></progress> }.into_any(), format!("Received {} KB…", kb(received))),
    };
    view! { <p role="status" data-testid="export-progress">{bar}" "{said}</p> }
}
