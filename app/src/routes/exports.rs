//! Exports out (R20): the caller's exports (spreadsheets, statements, subject access
//! disclosures) not yet recorded as deleted, and those escalated to them, each with its review
//! date and where it stands, and a form to answer: deleted, or still needed until a new date.
//! For auditors, also every export still out, the longest overdue first.

use crate::api;
use crate::components::loaded::LoadedList;
use crate::components::outcome::{sendable, Message, Outcome};
use crate::components::time::utc as when;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::endpoints::{path, with_query, EXPORTS, EXPORT_REVIEW};
use shared::export::{ExportAnswer, ExportList, ExportReview, ExportState, ExportView, ExportsQuery};
use shared::{Role, Validate};

#[component]
pub fn ExportsPage() -> impl IntoView {
    let user = match crate::session::page_user("/exports") {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let mine = LocalResource::new(|| async {
        api::get::<Vec<ExportView>>(&with_query(EXPORTS, &ExportsQuery { which: ExportList::Mine })).await
    });
    let refresh = move || mine.refetch();
    view! {
        <section class="page">
            <h1>"Exports out"</h1>
            <p class="notice">"Whoever exports data is responsible for it. At its review date, or as soon as its request closes, say whether it was deleted or why it is still needed; unanswered, it is escalated to the supervisor who approved the request. Every answer is audited."</p>
            <h2>"Yours, and escalated to you"</h2>
            <LoadedList what=mine empty="No export of yours is out." let:list>
                <div class="stack" data-testid="exports-mine">
                    {list.into_iter().map(|x| view! { <Answer export=x on_done=refresh/> }).collect_view()}
                </div>
            </LoadedList>
            {user.has(Role::Auditor).then(|| view! { <EveryExportOut/> })}
        </section>
    }
    .into_any()
}

fn summary(x: &ExportView) -> String {
    format!(
        "{} ({}) under {} for {}{}, {} rows, by {} at {}",
        x.kind.label(),
        x.format,
        x.reference,
        x.recipient,
        if x.transfer { " (transfer)" } else { "" },
        x.rows,
        x.keeper,
        when(x.exported_at)
    )
}

fn standing(x: &ExportView) -> String {
    let escalates_to = x.escalates_to.clone().unwrap_or_else(|| "the audit unit".to_owned());
    let why = match x.due_because {
        shared::export::DueBecause::ReviewDate => "its review date",
        shared::export::DueBecause::RequestEnded => "its request ended",
    };
    match x.state {
        ExportState::NotDue => format!("Review by {}; due {} ({why})", when(x.review_at), when(x.due_at)),
        ExportState::Due => {
            format!("Due since {} ({why}); escalates to {escalates_to} at {}", when(x.due_at), when(x.escalates_at))
        }
        ExportState::Escalated => {
            format!("Escalated to {escalates_to} at {} (due since {})", when(x.escalates_at), when(x.due_at))
        }
    }
}

#[component]
fn Answer(export: ExportView, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let id = export.id;
    let note = RwSignal::new(String::new());
    let new_date = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    let send = move |answer: ExportAnswer| {
        let review_at = match answer {
            ExportAnswer::Deleted => None,
            ExportAnswer::StillNeeded => chrono::NaiveDate::parse_from_str(&new_date.get_untracked(), "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc()),
        };
        let body = ExportReview { answer, note: note.get_untracked(), review_at };
        if !sendable(message, body.check()) {
            return;
        }
        spawn_local(async move {
            match api::post::<_, ExportView>(&path(EXPORT_REVIEW, &[&id]), &body).await {
                Ok(_) => on_done(),
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    view! {
        <article class="panel export" data-export=id.to_string() data-state=format!("{:?}", export.state)>
            <h3>{summary(&export)}</h3>
            <p>{export.state.label()} " — " {standing(&export)}</p>
            <label>"How it was deleted, or why it is still needed"
                <textarea name="note" bind:value=note></textarea></label>
            <label>"Still needed until (UTC)" <input type="date" name="review_at" bind:value=new_date/></label>
            <div class="row">
                <button type="button" on:click=move |_| send(ExportAnswer::Deleted)>"Deleted"</button>
                <button type="button" on:click=move |_| send(ExportAnswer::StillNeeded)>"Still needed"</button>
            </div>
            <Outcome message=message/>
        </article>
    }
}

#[component]
fn EveryExportOut() -> impl IntoView {
    let out = LocalResource::new(|| async {
        api::get::<Vec<ExportView>>(&with_query(EXPORTS, &ExportsQuery { which: ExportList::Out })).await
    });
    view! {
        <h2>"Every export out"</h2>
        <p>"The longest overdue first."</p>
        <LoadedList what=out empty="No export is out." let:list>
            <table data-testid="exports-out">
                <thead><tr><th>"Export"</th><th>"Keeper"</th><th>"Stands"</th><th>"Due"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|x| view! {
                        <tr data-state=format!("{:?}", x.state)>
                            <td>{format!("{} · {} · {}", x.kind.label(), x.reference, x.recipient)}</td>
                            <td>{x.keeper.clone()}</td>
                            <td>{x.state.label()}</td>
                            <td>{standing(&x)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </LoadedList>
    }
}
