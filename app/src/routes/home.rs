//! The start page: for each of the user's roles, what waits for them now — an investigator's
//! requests and approvals about to expire, alerts and watches; a supervisor's queue with its
//! waiting times and the locker items escalated to them; a hotlist admin's reviews; an
//! auditor's open samples; a system admin's changes held for a second admin. Each panel links
//! to the page where the work is done.

use crate::api;
use crate::components::loaded::Loaded;
use crate::components::time::{utc as when, waited};
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use shared::accounts::PendingUserChange;
use shared::endpoints::{
    with_query, AUDIT_SAMPLES, HOTLIST_REVIEWS_DUE, LOCKER_ESCALATED, REQUESTS, USER_CHANGES, WATCHES,
};
use shared::hotlists::EntryView;
use shared::locker::ItemView;
use shared::requests::{RequestList, RequestsQuery};
use shared::requests::{RequestStatus, RequestView};
use shared::search::SampleView;
use shared::watch::WatchView;
use shared::Role;

/// Approvals ending within this many days are called out.
const EXPIRING_DAYS: i64 = 3;

#[component]
pub fn HomePage() -> impl IntoView {
    let user = crate::session::signed_in_user();
    let name = user.as_ref().map(|u| u.display_name.clone()).unwrap_or_default();
    let sections = user.as_ref().map(crate::session::pages_for).unwrap_or_default();
    let has = |role: Role| user.as_ref().is_some_and(|u| u.has(role));
    view! {
        <section class="page">
            <h1>"Welcome, " {name}</h1>
            <div class="dashboard" data-testid="start">
                {has(Role::Investigator).then(|| view! { <InvestigatorPanel/> })}
                {has(Role::Supervisor).then(|| view! { <SupervisorPanel/> })}
                {has(Role::HotlistAdmin).then(|| view! { <HotlistPanel/> })}
                {has(Role::Auditor).then(|| view! { <AuditorPanel/> })}
                {has(Role::SystemAdmin).then(|| view! { <AdminPanel/> })}
            </div>
            <ul class="cards">
                {sections
                    .into_iter()
                    .map(|(href, label)| view! { <li><a href=href>{label}</a></li> })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// A panel of the start page: its heading, and what `show` makes of `path`'s answer.
#[component]
fn Panel<T, V>(title: &'static str, #[prop(into)] path: String, show: fn(T) -> V) -> impl IntoView
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let answer = LocalResource::new(move || {
        let path = path.clone();
        async move { api::get::<T>(&path).await }
    });
    view! {
        <article class="panel" data-panel=title>
            <h2>{title}</h2>
            <Loaded what=answer let:value>{show(value)}</Loaded>
        </article>
    }
}

#[component]
fn InvestigatorPanel() -> impl IntoView {
    let alerts = use_context::<crate::components::alerts::AlertFeed>();
    let undecided = move || alerts.map_or(0, |f| f.0.with(Vec::len));
    view! {
        <Panel title="Your requests" path=with_query(REQUESTS, &RequestsQuery::of(RequestList::Mine)) show=my_requests/>
        <Panel title="Your watches" path=WATCHES show=my_watches/>
        <article class="panel" data-panel="Alerts">
            <h2>"Alerts"</h2>
            <p data-testid="undecided-alerts">{undecided} " undecided in your tray."</p>
        </article>
    }
}

fn my_requests(list: Vec<RequestView>) -> impl IntoView {
    let now = crate::now();
    let count = |s: RequestStatus| list.iter().filter(|r| r.withdrawn_at.is_none() && r.status == s).count();
    let in_force = list.iter().filter(|r| r.usable_at(now) && r.revoked_at.is_none()).count();
    let soon = |r: &&RequestView| r.expires_at.is_some_and(|e| e - now < chrono::Duration::days(EXPIRING_DAYS));
    let expiring = list
        .iter()
        .filter(|r| r.usable_at(now))
        .filter(soon)
        .map(|r| view! { <li>{r.reference.clone()} " ends " {r.expires_at.map(when)}</li> })
        .collect_view();
    view! {
        <p data-testid="my-request-counts">
            {count(RequestStatus::Pending)} " waiting for a decision, " {in_force} " approved and in force, "
            {count(RequestStatus::Rejected)} " rejected."
        </p>
        <ul class="warning">{expiring}</ul>
        <a href="/requests">"Requests"</a>
    }
}

fn my_watches(list: Vec<WatchView>) -> impl IntoView {
    let open: Vec<_> = list.into_iter().filter(|w| w.closed_at.is_none()).collect();
    let hits: i64 = open.iter().map(|w| w.delivered).sum();
    view! {
        <p>{open.len()} " open, " {hits} " reads delivered so far."</p>
        <a href="/map">"Map"</a>
    }
}

#[component]
fn SupervisorPanel() -> impl IntoView {
    view! {
        <Panel title="Awaiting your decision" path=with_query(REQUESTS, &RequestsQuery::of(RequestList::Queue)) show=queue/>
        <Panel title="Locker items escalated to you" path=LOCKER_ESCALATED show=escalated/>
    }
}

fn queue(list: Vec<RequestView>) -> impl IntoView {
    let now = crate::now();
    let longest = list.iter().map(|r| now - r.submitted_at).max().map(|d| format!("; the longest for {}", waited(d)));
    view! {
        <p data-testid="queue-count">{list.len()} " waiting" {longest} "."</p>
        <a href="/requests">"Decide"</a>
    }
}

fn escalated(list: Vec<ItemView>) -> impl IntoView {
    view! {
        <p>{list.len()} " waiting for your answer."</p>
        <a href="/locker">"Evidence locker"</a>
    }
}

#[component]
fn HotlistPanel() -> impl IntoView {
    view! { <Panel title="Entries due for review" path=HOTLIST_REVIEWS_DUE show=due_reviews/> }
}

fn due_reviews(list: Vec<EntryView>) -> impl IntoView {
    view! {
        <p>{list.len()} " due within 3 days; an entry not reviewed by its date stops matching."</p>
        <a href="/hotlists">"Hotlists"</a>
    }
}

#[component]
fn AuditorPanel() -> impl IntoView {
    view! { <Panel title="Searches to review" path=AUDIT_SAMPLES show=open_samples/> }
}

fn open_samples(list: Vec<SampleView>) -> impl IntoView {
    view! {
        <p>{list.len()} " drawn for the audit sample without a finding."</p>
        <a href="/audit/sample">"Audit sample"</a>
    }
}

#[component]
fn AdminPanel() -> impl IntoView {
    view! { <Panel title="Waiting for a second admin" path=USER_CHANGES show=held_changes/> }
}

fn held_changes(list: Vec<PendingUserChange>) -> impl IntoView {
    view! {
        <p data-testid="held-count">{list.len()} " changes to accounts held for approval."</p>
        <a href="/admin/users">"Users"</a>
    }
}
