//! Unusual use, flagged for the audit unit (R21, R22): the searches, watches and analyses an
//! auditor would look at first, each with the reason and its figures, a link to its request's
//! entries in the audit log, and a review recorded with a note.

use crate::api;
use crate::components::loaded::{Loaded, LoadedList};
use crate::components::outcome::{FieldError, FormState, Interactive, Submit};
use crate::components::time::utc as when;
use leptos::prelude::*;
use shared::endpoints::{path, with_query, AUDIT_FLAGS, AUDIT_FLAG_REVIEW};
use shared::flags::{FlagView, FlagsQuery, ReviewFlag};
use shared::search::SearchQuery;

#[component]
pub fn FlagsPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/audit/flags") {
        return refused;
    }
    let open = LocalResource::new(|| api::get::<Vec<FlagView>>(AUDIT_FLAGS));
    let done = LocalResource::new(|| async {
        let reviewed = FlagsQuery { reviewed: true, limit: Some(50), ..FlagsQuery::default() };
        api::get::<Vec<FlagView>>(&with_query(AUDIT_FLAGS, &reviewed)).await
    });
    let refresh = move || {
        open.refetch();
        done.refetch();
    };
    view! {
        <section class="page">
            <h1>"Unusual use"</h1>
            <p class="notice">"Searches, watches and analyses flagged as they are scanned, the oldest first: each with \
                why, its figures and the threshold it crossed. Review each with a note on what was found."</p>
            <h2>"Awaiting review"</h2>
            <LoadedList what=open empty="No flag awaits review." let:list>
                <div class="stack" data-testid="open-flags">
                    {list.into_iter().map(|f| view! { <Flag flag=f on_done=refresh/> }).collect_view()}
                </div>
            </LoadedList>
            <h2>"Recently reviewed"</h2>
            <Loaded what=done let:list>
                <table class="grid" data-testid="reviewed-flags">
                    <thead><tr><th>"Search"</th><th>"By"</th><th>"Request"</th><th>"Why"</th><th>"Note"</th><th>"Auditor"</th><th>"Reviewed (UTC)"</th></tr></thead>
                    <tbody>{list.into_iter().filter_map(|f| f.review.clone().map(|r| (f, r))).map(|(f, r)| view! {
                        <tr>
                            <td>{f.search_id}</td><td>{f.user}</td><td><AuditLink reference=f.reference/></td>
                            <td>{f.kind.label()}</td><td>{r.note}</td><td>{r.reviewed_by}</td><td>{when(r.reviewed_at)}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            </Loaded>
        </section>
    }
    .into_any()
}

/// The audit log's entries under a request: its searches, pages, exports and decisions.
#[component]
fn AuditLink(reference: String) -> impl IntoView {
    let href = with_query("/audit", &[("text", reference.as_str())]);
    view! { <a href=href>{reference}</a> }
}

#[component]
fn Flag(flag: FlagView, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let note = RwSignal::new(String::new());
    let form = FormState::default();
    let id = flag.id;
    let review = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(review) = form.checked(ReviewFlag { note: note.get_untracked() }, Vec::new()) else { return };
        let at = path(AUDIT_FLAG_REVIEW, &[&id]);
        let call = async move { api::submit::<_, FlagView>("POST", &at, &review).await };
        form.send(call, move |f| {
            on_done();
            format!("Flag {} reviewed.", f.id)
        });
    };
    let what = if flag.watch { "Watch" } else { "Search" };
    view! {
        <article class="panel flag" data-flag=id.to_string() data-kind=flag.kind.as_str()>
            <h3>{flag.kind.label()} " — " {what} " " {flag.search_id} " by " {flag.user.clone()} " under "
                <AuditLink reference=flag.reference.clone()/></h3>
            <p data-testid="flag-reason">{flag.reason.clone()}</p>
            <dl>
                <dt>"Run"</dt><dd>{when(flag.searched_at)}</dd>
                <dt>"Asked for"</dt><dd>{SearchQuery::summary(&flag.query)}</dd>
                <dt>"Flagged"</dt><dd>{when(flag.flagged_at)}</dd>
            </dl>
            <form on:submit=review>
                <Interactive>
                    <label>"Note" <textarea name="note" bind:value=note></textarea></label>
                    <FieldError form=form field="note"/>
                    <Submit form=form label="Record review"/>
                </Interactive>
            </form>
        </article>
    }
}
