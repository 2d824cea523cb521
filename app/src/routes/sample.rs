//! The random audit sample (R22): auditors work through sampled searches and record whether
//! each was necessary and proportionate, with a note.

use crate::api;
use crate::components::loaded::{Loaded, LoadedList};
use crate::components::outcome::{Message, Outcome};
use crate::components::time::utc as when;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::endpoints::{path, with_query, AUDIT_SAMPLES, AUDIT_SAMPLE_FINDING};
use shared::search::SamplesQuery;
use shared::search::{SampleFinding, SampleView, SearchQuery};

#[component]
pub fn SamplePage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/audit/sample") {
        return refused;
    }
    let open = LocalResource::new(|| api::get::<Vec<SampleView>>(AUDIT_SAMPLES));
    let done = LocalResource::new(|| async {
        api::get::<Vec<SampleView>>(&with_query(AUDIT_SAMPLES, &SamplesQuery { reviewed: true, limit: Some(50) })).await
    });
    let refresh = move || {
        open.refetch();
        done.refetch();
    };
    view! {
        <section class="page">
            <h1>"Audit sample"</h1>
            <p class="notice" data-testid="sample-rates">{
                let p = crate::session::policy();
                format!(
                    "{}% of searches reaching beyond {} days and {}% of the others are drawn at random as they run.",
                    p.sample_beyond_standard_percent, p.standard_days, p.sample_other_percent
                )
            }</p>
            <h2>"Awaiting a finding"</h2>
            <LoadedList what=open empty="No sampled search awaits a finding." let:list>
                <div class="stack" data-testid="open-samples">
                    {list.into_iter().map(|s| view! { <Sample sample=s on_done=refresh/> }).collect_view()}
                </div>
            </LoadedList>
            <h2>"Recent findings"</h2>
            <Loaded what=done let:list>
                <table class="grid" data-testid="sample-findings">
                    <thead><tr><th>"Search"</th><th>"By"</th><th>"Request"</th><th>"Necessary"</th><th>"Proportionate"</th><th>"Note"</th><th>"Auditor"</th></tr></thead>
                    <tbody>{list.into_iter().filter_map(|s| s.review.clone().map(|r| (s, r))).map(|(s, r)| view! {
                        <tr>
                            <td>{s.search_id}</td><td>{s.searched_by}</td><td>{s.reference}</td>
                            <td>{if r.finding.necessary { "yes" } else { "no" }}</td>
                            <td>{if r.finding.proportionate { "yes" } else { "no" }}</td>
                            <td>{r.finding.note}</td><td>{r.reviewed_by}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            </Loaded>
        </section>
    }
    .into_any()
}

#[component]
fn Sample(sample: SampleView, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    // No answer is given for the auditor: each is chosen, or the finding is not sent (R22).
    let necessary = RwSignal::new(None::<bool>);
    let proportionate = RwSignal::new(None::<bool>);
    let note = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    let id = sample.search_id;
    let record = move |_| {
        let (Some(necessary), Some(proportionate)) = (necessary.get_untracked(), proportionate.get_untracked()) else {
            let missing = match (necessary.get_untracked(), proportionate.get_untracked()) {
                (None, None) => "whether the search was necessary and whether it was proportionate",
                (None, _) => "whether the search was necessary",
                _ => "whether the search was proportionate",
            };
            return message.set(Some(Err(format!("Not sent: choose {missing}."))));
        };
        let finding = SampleFinding { necessary, proportionate, note: note.get_untracked() };
        if let Err(e) = finding.check() {
            return message.set(Some(Err(format!("Not sent: {e}."))));
        }
        spawn_local(async move {
            match api::post::<_, SampleView>(&path(AUDIT_SAMPLE_FINDING, &[&id]), &finding).await {
                Ok(_) => on_done(),
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    view! {
        <article class="panel sample" data-search=id.to_string()>
            <h3>"Search " {id} " by " {sample.searched_by.clone()} " under " {sample.reference.clone()}
                {sample.beyond_standard.then_some(" — beyond 90 days")}</h3>
            <dl>
                <dt>"When"</dt><dd>{when(sample.searched_at)}</dd>
                <dt>"Asked for"</dt><dd>{SearchQuery::summary(&sample.query)} ", " {when(sample.from)} " to " {when(sample.to)}</dd>
                <dt>"Results"</dt><dd>{sample.result_count}</dd>
                <dt>"Purpose"</dt><dd>{sample.purpose.label()} " — " {sample.crime_type.clone()} " (" {sample.seriousness.as_str()} ")"</dd>
                <dt>"Reason"</dt><dd>{sample.reason.clone()}</dd>
            </dl>
            <YesNo question="Necessary" name=format!("necessary-{id}") answer=necessary/>
            <YesNo question="Proportionate" name=format!("proportionate-{id}") answer=proportionate/>
            <label>"Note" <textarea name="note" bind:value=note></textarea></label>
            <button on:click=record>"Record finding"</button>
            <Outcome message=message/>
        </article>
    }
}

/// A question answered yes or no, with neither chosen until the user chooses.
#[component]
fn YesNo(question: &'static str, name: String, answer: RwSignal<Option<bool>>) -> impl IntoView {
    let choice = move |value: bool, label: &'static str| {
        view! {
            <label class="check">
                <input type="radio" name=name.clone() prop:checked=move || answer.get() == Some(value)
                    on:change=move |_| answer.set(Some(value))/>
                {label}
            </label>
        }
    };
    view! {
        <fieldset class="row" role="radiogroup" aria-label=question>
            <legend>{question}</legend>
            {choice(true, "Yes")}
            {choice(false, "No")}
        </fieldset>
    }
}
