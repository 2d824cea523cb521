//! The evidence locker (R19): cases and the reads preserved in them; for auditors, the items
//! due for review with the answer of the person asked; for supervisors, items escalated to
//! them because the officer in charge did not answer.

use crate::api;
use crate::components::loaded::{Loaded, LoadedList};
use crate::components::outcome::{sendable, Message, Outcome};
use crate::components::time::utc as when;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::endpoints::{
    path, LOCKER_CASES, LOCKER_CASE_ITEMS, LOCKER_DUE, LOCKER_ESCALATED, LOCKER_ITEM_ANSWER, LOCKER_ITEM_IMAGE,
    LOCKER_ITEM_REVIEWS,
};
use shared::locker::{CaseView, ItemView, NewReview, ReviewAnswer};
use shared::Role;

#[component]
pub fn LockerPage() -> impl IntoView {
    let user = match crate::session::page_user("/locker") {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let cases = LocalResource::new(|| api::get::<Vec<CaseView>>(LOCKER_CASES));
    let open_case = RwSignal::new(None::<i64>);
    view! {
        <section class="page">
            <h1>"Evidence locker"</h1>
            <p class="notice">"Preserved reads outlive the 12-month purge. Each is reviewed every 6 months with its officer in charge; three unanswered reviews, or an answer that it is no longer needed, delete it."</p>
            {user.has(Role::Auditor).then(|| view! { <DueForReview/> })}
            {user.has(Role::Supervisor).then(|| view! { <Escalated/> })}
            <h2>"Cases"</h2>
            <LoadedList what=cases empty="No cases yet: preserve reads from a search." let:list>
                <div class="stack" data-testid="locker-cases">
                    {list.into_iter().map(|c| {
                        let id = c.id;
                        view! {
                            <article class="panel case" data-case=id.to_string()>
                                <h3>{c.title.clone()}</h3>
                                <p>{c.crime_type.clone()} " — OIC " {c.oic.clone()} " (supervisor " {c.oic_supervisor.clone()} "), opened by " {c.created_by.clone()} " " {when(c.created_at)}</p>
                                <p>{c.reason.clone()}</p>
                                <button type="button" on:click=move |_| open_case.set(Some(id))>{format!("Show {} held items", c.held)}</button>
                                <Show when=move || open_case.get() == Some(id)>
                                    <CaseItems case_id=id/>
                                </Show>
                            </article>
                        }
                    }).collect_view()}
                </div>
            </LoadedList>
        </section>
    }
    .into_any()
}

fn item_summary(item: &ItemView) -> String {
    match &item.read {
        Some(r) => format!("{} at {} ({})", r.best_plate(), when(r.captured_at), r.camera_name),
        None => format!("read {} (deleted)", item.read_id),
    }
}

fn item_status(item: &ItemView) -> String {
    match (item.deleted_at, item.deleted_why) {
        (Some(at), Some(why)) => format!("deleted {} ({})", when(at), why.as_str().replace('_', " ")),
        _ => format!(
            "review due {}; ask {}{}",
            when(item.review_due_at),
            item.ask,
            if item.unanswered > 0 { format!(" ({} unanswered)", item.unanswered) } else { String::new() }
        ),
    }
}

#[component]
fn CaseItems(case_id: i64) -> impl IntoView {
    let items =
        LocalResource::new(
            move || async move { api::get::<Vec<ItemView>>(&path(LOCKER_CASE_ITEMS, &[&case_id])).await },
        );
    view! {
        <Loaded what=items let:list>
        <table class="grid" data-testid="locker-items">
            <thead><tr><th>"Read"</th><th>"Plate patch"</th><th>"Preserved"</th><th>"Status"</th></tr></thead>
            <tbody>{list.into_iter().map(|item| {
                let image = item.read.as_ref().filter(|r| r.has_plate_image).map(|_| view! {
                    <img class="thumb" src=api::url(&path(LOCKER_ITEM_IMAGE, &[&item.id, &"plate"])) alt="plate patch"/>
                });
                view! {
                    <tr>
                        <td>{item_summary(&item)}</td>
                        <td>{image}</td>
                        <td>{format!("{} by {}", when(item.preserved_at), item.preserved_by)}</td>
                        <td>{item_status(&item)}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
        </Loaded>
    }
}

#[component]
fn DueForReview() -> impl IntoView {
    let due = LocalResource::new(|| api::get::<Vec<ItemView>>(LOCKER_DUE));
    view! {
        <h2>"Due for review"</h2>
        <LoadedList what=due empty="Nothing is due for review." let:list>
            <div class="stack" data-testid="locker-due">
                {list.into_iter().map(|item| view! { <Review item=item on_done=move || due.refetch()/> }).collect_view()}
            </div>
        </LoadedList>
    }
}

/// Who records an answer on an item: the audit unit (having asked someone), or the supervisor
/// it was escalated to, answering for themselves.
#[derive(Clone, Copy, PartialEq)]
enum Answering {
    Audit,
    Escalated,
}

#[component]
fn Review(
    item: ItemView,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
    #[prop(optional)] escalated: bool,
) -> impl IntoView {
    let who = if escalated { Answering::Escalated } else { Answering::Audit };
    let note = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    let id = item.id;
    let summary = StoredValue::new(item_summary(&item));
    let answer = move |answer: ReviewAnswer| {
        let body = NewReview { answer, note: note.get_untracked() };
        if !sendable(message, body.check()) {
            return;
        }
        // Deleting preserved evidence cannot be undone: asked first, naming what goes (R19).
        if answer == ReviewAnswer::NotNeeded
            && !crate::confirm(&format!(
                "Delete {} from the locker for good? Its copies are deleted at once and cannot be recovered.",
                summary.get_value()
            ))
        {
            return;
        }
        let path = match who {
            Answering::Audit => path(LOCKER_ITEM_REVIEWS, &[&id]),
            Answering::Escalated => path(LOCKER_ITEM_ANSWER, &[&id]),
        };
        spawn_local(async move {
            match api::post::<_, ItemView>(&path, &body).await {
                Ok(_) => on_done(),
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    view! {
        <article class="panel review" data-item=id.to_string()>
            <h3>{item.case_title.clone()} ": " {item_summary(&item)}</h3>
            <p>{item_status(&item)}{item.escalated.then_some(" — escalated to the OIC's supervisor")}</p>
            <label>
                {match who {
                    Answering::Audit => "Who was asked, how, and what they said",
                    Answering::Escalated => "Why it is, or is no longer, needed",
                }}
                <textarea name="note" bind:value=note></textarea>
            </label>
            <div class="row">
                <button type="button" on:click=move |_| answer(ReviewAnswer::StillNeeded)>"Still needed"</button>
                <button type="button" on:click=move |_| answer(ReviewAnswer::NotNeeded)>"No longer needed"</button>
                {(who == Answering::Audit).then(|| view! {
                    <button type="button" on:click=move |_| answer(ReviewAnswer::NoAnswer)>"No answer"</button>
                })}
            </div>
            <Outcome message=message/>
        </article>
    }
}

#[component]
fn Escalated() -> impl IntoView {
    let items = LocalResource::new(|| api::get::<Vec<ItemView>>(LOCKER_ESCALATED));
    view! {
        <h2>"Escalated to you"</h2>
        <p>"The officer in charge did not answer whether these are still needed: answer for them."</p>
        <LoadedList what=items empty="No locker item awaits your answer." let:list>
            <div class="stack" data-testid="locker-escalated">
                {list.into_iter().map(|item| view! { <Review item=item on_done=move || items.refetch() escalated=true/> }).collect_view()}
            </div>
        </LoadedList>
    }
}
