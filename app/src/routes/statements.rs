//! Evidential statements (R14): investigators see theirs and produce the PDF once approved;
//! supervisors approve or reject the statements others asked for.

use crate::api;
use crate::components::loaded::{Loaded, LoadedList};
use crate::components::outcome::{sendable, Message, Outcome};
use crate::components::time::utc as when;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::endpoints::{path, with_query, STATEMENTS, STATEMENT_DECISION, STATEMENT_PDF, STATEMENT_READS};
use shared::export::{Recipient, StatementDecision, StatementStatus, StatementView};
use shared::export::{StatementList, StatementsQuery};
use shared::{ReadView, Role};

#[component]
pub fn StatementsPage() -> impl IntoView {
    let user = match crate::session::page_user("/statements") {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    view! {
        <section class="page">
            <h1>"Evidential statements"</h1>
            <p class="notice">"A statement is a separate product from the intelligence spreadsheet: it needs a supervisor's approval, and producing it is recorded as a disclosure."</p>
            {user.has(Role::Supervisor).then(|| view! { <Queue/> })}
            {user.has(Role::Investigator).then(|| view! { <Mine/> })}
        </section>
    }
    .into_any()
}

fn summary(s: &StatementView) -> String {
    format!(
        "Statement {} under {} — {} reads, asked {} by {}",
        s.id,
        s.reference,
        s.read_ids.len(),
        when(s.requested_at),
        s.requester
    )
}

#[component]
fn Mine() -> impl IntoView {
    let list = LocalResource::new(|| async {
        api::get::<Vec<StatementView>>(&with_query(STATEMENTS, &StatementsQuery { which: StatementList::Mine })).await
    });
    view! {
        <h2>"Yours"</h2>
        <LoadedList what=list empty="None yet: choose reads in a search and ask for a statement." let:items>
            {items.into_iter().map(|s| view! { <Own statement=s/> }).collect_view()}
        </LoadedList>
    }
}

#[component]
fn Own(statement: StatementView) -> impl IntoView {
    let recipient = RwSignal::new(String::new());
    let transfer = RwSignal::new(false);
    let message: Message = RwSignal::new(None);
    let id = statement.id;
    let produce = move |_| {
        let body = Recipient { recipient: recipient.get_untracked(), transfer: transfer.get_untracked() };
        if !sendable(message, shared::export::check_recipient(&body.recipient)) {
            return;
        }
        spawn_local(async move {
            match api::download(&path(STATEMENT_PDF, &[&id]), &body, |_| {}).await {
                Ok(name) => message.set(Some(Ok(format!("Produced {name}")))),
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    let decided = statement.decided_by.clone().map(|by| {
        format!("{} by {by}: {}", statement.status.as_str(), statement.rationale.clone().unwrap_or_default())
    });
    view! {
        <article class="panel statement" data-statement=id.to_string()>
            <h3>{summary(&statement)}</h3>
            <p>{decided.unwrap_or_else(|| "Awaiting a supervisor's decision".into())}</p>
            <Show when=move || statement.status == StatementStatus::Approved>
                <label>"Recipient" <input name="recipient" bind:value=recipient/></label>
                <label class="check"><input type="checkbox" name="transfer" bind:checked=transfer/>" Transfer to another agency"</label>
                <button type="button" on:click=produce>"Produce PDF"</button>
            </Show>
            <Outcome message=message/>
        </article>
    }
}

#[component]
fn Queue() -> impl IntoView {
    let list = LocalResource::new(|| async {
        api::get::<Vec<StatementView>>(&with_query(STATEMENTS, &StatementsQuery { which: StatementList::Queue })).await
    });
    view! {
        <h2>"To decide"</h2>
        <LoadedList what=list empty="No statement awaits a decision." let:items>
            {items.into_iter().map(|s| view! { <Decide statement=s on_done=move || list.refetch()/> }).collect_view()}
        </LoadedList>
    }
}

#[component]
fn Decide(statement: StatementView, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let rationale = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    let id = statement.id;
    let decide = move |approve: bool| {
        let body = StatementDecision { approve, rationale: rationale.get_untracked() };
        if !sendable(message, body.check()) {
            return;
        }
        spawn_local(async move {
            match api::post::<_, StatementView>(&path(STATEMENT_DECISION, &[&id]), &body).await {
                Ok(_) => on_done(),
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    let reads =
        LocalResource::new(move || async move { api::get::<Vec<ReadView>>(&path(STATEMENT_READS, &[&id])).await });
    let asked = statement.read_ids.len();
    view! {
        <article class="panel decision statement stack" data-statement=id.to_string()>
            <h3>{summary(&statement)}</h3>
            <p>{statement.reason.clone()}</p>
            <Loaded what=reads let:list>
                {(list.len() < asked).then(|| view! {
                    <p class="warning" role="note">
                        {format!("{} of the {asked} reads are no longer within the requester's reach or no longer held.", asked - list.len())}
                    </p>
                })}
                <table class="grid" data-testid="statement-reads">
                    <thead><tr><th>"Time (UTC)"</th><th>"Plate"</th><th>"Camera"</th><th>"Checked"</th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|r| view! {
                            <tr>
                                <td>{when(r.captured_at)}</td>
                                <td class="plate">{r.plate.clone()}</td>
                                <td>{r.camera_name.clone()}</td>
                                <td>{match (r.verdict, r.corrected_plate) {
                                    (Some(v), Some(p)) => format!("{} → {p}", v.label()),
                                    (Some(v), None) => v.label().to_owned(),
                                    (None, _) => "not checked against its images".to_owned(),
                                }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Loaded>
            <label>"Rationale" <textarea name="rationale" bind:value=rationale></textarea></label>
            <div class="actions">
                <button type="button" class="primary" on:click=move |_| decide(true)>"Approve"</button>
                <button type="button" class="danger" on:click=move |_| decide(false)>"Reject"</button>
            </div>
            <Outcome message=message/>
        </article>
    }
}
