//! The breach and subject access registers (R23), kept by auditors: each entry's day, what
//! happened or was asked, what was found, what was disclosed, when it closed. A subject access
//! request naming a plate has the system find what it holds for that plate, under the entry.

use crate::api;
use crate::components::loaded::LoadedList;
use crate::components::outcome::{FieldError, FormState, Interactive, Outcome, Submit};
use crate::components::time::utc as when;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::endpoints::{path, REGISTER, REGISTER_ENTRY, SUBJECT_ACCESS_SEARCH};
use shared::registers::{Answer, Disclosure, EntryUpdate, EntryView, NewEntry, Register, NATIONAL_SECURITY_ANSWER};

#[component]
pub fn RegistersPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/registers") {
        return refused;
    }
    view! {
        <section class="page">
            <h1>"Registers"</h1>
            <p class="notice">"Every entry, change and search is audited. A closed entry is kept as it was."</p>
            <RegisterSection register=Register::Breach/>
            <RegisterSection register=Register::SubjectAccess/>
        </section>
    }
    .into_any()
}

#[component]
fn RegisterSection(register: Register) -> impl IntoView {
    let slug = register.slug();
    let entries =
        LocalResource::new(move || async move { api::get::<Vec<EntryView>>(&path(REGISTER, &[&slug])).await });
    let refresh = Callback::new(move |_: ()| entries.refetch());
    let form = FormState::default();
    let (day, what, plate) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let sar = register == Register::SubjectAccess;
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Ok(happened_on) = chrono::NaiveDate::parse_from_str(&day.get_untracked(), "%Y-%m-%d") else {
            form.refuse(vec![crate::components::outcome::problem("happened_on", "give the day")]);
            return;
        };
        let named = Some(plate.get_untracked().trim().to_owned()).filter(|p| sar && !p.is_empty());
        let Some(new) = form.checked(NewEntry { happened_on, what: what.get_untracked(), plate: named }, Vec::new())
        else {
            return;
        };
        let at = path(REGISTER, &[&slug]);
        form.send(async move { api::submit::<_, EntryView>("POST", &at, &new).await }, move |e| {
            what.set(String::new());
            plate.set(String::new());
            refresh.run(());
            format!("Recorded as {}.", e.reference)
        });
    };
    let (day_label, what_label) = if sar { ("Asked on", "What was asked") } else { ("Happened on", "What happened") };
    view! {
        <h2>{register.label()}</h2>
        <form class="stack" on:submit=submit data-testid=format!("new-{slug}")>
            <Interactive>
                <div class="row">
                    <label>{day_label} <input type="date" name="happened_on" bind:value=day/></label>
                    <FieldError form=form field="happened_on"/>
                    {sar.then(|| view! {
                        <label>"Plate (if the request names one)" <input name="plate" bind:value=plate/></label>
                        <FieldError form=form field="plate"/>
                    })}
                </div>
                <label>{what_label} <textarea name="what" bind:value=what></textarea></label>
                <FieldError form=form field="what"/>
                <Submit form=form label="Record"/>
            </Interactive>
        </form>
        <LoadedList what=entries empty="Nothing recorded." let:list>
            <div class="stack" data-testid=format!("{slug}-entries")>
                {list.into_iter().map(|e| view! { <Entry entry=e on_change=refresh/> }).collect_view()}
            </div>
        </LoadedList>
    }
}

#[component]
fn Entry(entry: EntryView, on_change: Callback<()>) -> impl IntoView {
    let (id, register) = (entry.id, entry.register);
    let closed = entry.closed_at.is_some();
    let found = RwSignal::new(entry.found.clone().unwrap_or_default());
    let disclosed = RwSignal::new(entry.disclosed.clone().unwrap_or_default());
    let answer = RwSignal::new(entry.answer.map(|a| a.as_str().to_owned()).unwrap_or_default());
    let message = RwSignal::new(None);
    let disclosure = RwSignal::new(None::<Disclosure>);
    let save = move |close: bool| {
        let text = |s: RwSignal<String>| Some(s.get_untracked().trim().to_owned()).filter(|t| !t.is_empty());
        let change = EntryUpdate {
            found: text(found),
            disclosed: text(disclosed),
            answer: Answer::parse(&answer.get_untracked()),
            close,
        };
        let at = path(REGISTER_ENTRY, &[&register.slug(), &id]);
        spawn_local(async move {
            match api::submit::<_, EntryView>("PATCH", &at, &change).await {
                Ok(e) => {
                    message.set(Some(Ok(format!("{} saved.", e.reference))));
                    on_change.run(());
                }
                Err(e) => message.set(Some(Err(e.error))),
            }
        });
    };
    let search = move |_| {
        spawn_local(async move {
            match api::post::<_, Disclosure>(&path(SUBJECT_ACCESS_SEARCH, &[&id]), &serde_json::json!({})).await {
                Ok(d) => {
                    let more = if d.more { " (the oldest shown; more are held: answer in parts)" } else { "" };
                    let review = when(d.review_by);
                    message.set(Some(Ok(format!(
                        "{} reads held for {}{more}. Kept as an export of yours: review by {review} (Exports out).",
                        d.reads.len(),
                        d.plate
                    ))));
                    disclosure.set(Some(d));
                }
                Err(e) => message.set(Some(Err(e))),
            }
        });
    };
    let searchable = register == Register::SubjectAccess && entry.plate.is_some() && !closed;
    let status = match (entry.closed_at, entry.answer) {
        (Some(at), Some(a)) => format!("closed {} · {}", when(at), a.label()),
        (Some(at), None) => format!("closed {}", when(at)),
        (None, _) => "open".to_owned(),
    };
    view! {
        <article class="card" data-testid="register-entry">
            <h3>{entry.reference.clone()} " · " {entry.happened_on.to_string()} " · " <small>{status}</small></h3>
            <p>{entry.what.clone()}</p>
            <p class="muted">{format!("Recorded by {} at {}", entry.recorded_by, when(entry.recorded_at))}
                {entry.plate.clone().map(|p| format!(" · plate {p}"))}
                {entry.reads_found.map(|n| format!(" · last search found {n} reads"))}</p>
            <Interactive>
                <label>"What was found" <textarea name="found" bind:value=found prop:disabled=closed></textarea></label>
                <label>"What was disclosed" <textarea name="disclosed" bind:value=disclosed prop:disabled=closed></textarea></label>
                {(register == Register::SubjectAccess).then(|| view! {
                    <label>"Answer" <select name="answer" prop:disabled=closed
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            if value == Answer::NationalSecurity.as_str() && disclosed.get_untracked().is_empty() {
                                disclosed.set(NATIONAL_SECURITY_ANSWER.to_owned());
                            }
                            answer.set(value);
                        }>
                        <option value="" selected=move || answer.get().is_empty()>"Not yet answered"</option>
                        {Answer::ALL.map(|a| view! { <option value=a.as_str() selected=move || answer.get() == a.as_str()>{a.label()}</option> }).collect_view()}
                    </select></label>
                })}
                {(!closed).then(|| view! {
                    <div class="row">
                        <button type="button" on:click=move |_| save(false)>"Save"</button>
                        <button type="button" on:click=move |_| save(true)>"Save and close"</button>
                        {searchable.then(|| view! { <button type="button" class="secondary" data-testid="sar-search" on:click=search>"Find what is held for this plate"</button> })}
                    </div>
                })}
            </Interactive>
            <Outcome message=message/>
            {move || disclosure.get().map(|d| view! {
                <table class="grid" data-testid="disclosure">
                    <caption>{format!("Held for {} since {}, found {}", d.plate, when(d.held_from), when(d.searched_at))}</caption>
                    <thead><tr><th>"Time (UTC)"</th><th>"Camera"</th><th>"Direction"</th></tr></thead>
                    <tbody>{d.reads.into_iter().map(|r| view! {
                        <tr><td>{when(r.captured_at)}</td><td>{r.camera}</td><td>{r.direction.unwrap_or_default()}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            })}
        </article>
    }
}
