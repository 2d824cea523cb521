//! The audit log for auditors (R21): filter by who, what, when and text (refusals first, the
//! feeds' ingest rows left out unless asked for), page back through older entries, and check
//! the hash chain.

use crate::api;
use crate::components::outcome::{Interactive, Message, Outcome};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use shared::endpoints::{with_query, AUDIT_ENTRIES, AUDIT_VERIFY};
use shared::{AuditAction, AuditEntry, AuditFilter, ChainReport};

const PAGE: i64 = 100;

/// A typed UTC time, or none when empty.
fn parse_utc(text: &str, field: &str) -> Result<Option<DateTime<Utc>>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    crate::components::time::parse_input_time(text, field).map(Some)
}

/// An entry's details as `name: value` lines instead of raw JSON.
fn details_view(details: &Value) -> impl IntoView + use<> {
    let lines: Vec<(String, String)> = match details {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let shown = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.replace('_', " "), shown)
            })
            .collect(),
        Value::Null => Vec::new(),
        other => vec![(String::new(), other.to_string())],
    };
    view! {
        <dl class="details">
            {lines.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
        </dl>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/audit") {
        return refused;
    }
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    // A link from another page (a flag's, R22) may name the text to look for.
    let asked = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("text"));
    let text = RwSignal::new(asked.unwrap_or_default());
    let refusals = RwSignal::new(false);
    let without_ingest = RwSignal::new(true);
    let problems = RwSignal::new(Vec::<String>::new());
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let more = RwSignal::new(false);
    let loading = RwSignal::new(false);
    let message: Message = RwSignal::new(None);
    let report = RwSignal::new(None::<Result<ChainReport, String>>);

    // Reads the form; every problem at once, beside the form.
    let filter = move || -> Result<AuditFilter, Vec<String>> {
        let from = parse_utc(&from.get_untracked(), "From");
        let to = parse_utc(&to.get_untracked(), "To");
        let mut wrong: Vec<String> = [&from, &to].iter().filter_map(|r| r.as_ref().err().cloned()).collect();
        if let (Ok(Some(f)), Ok(Some(t))) = (&from, &to) {
            if t <= f {
                wrong.push("To must be after From".into());
            }
        }
        if !wrong.is_empty() {
            return Err(wrong);
        }
        let picked = action.get_untracked();
        Ok(AuditFilter {
            before_seq: None,
            limit: Some(PAGE),
            refusals: refusals.get_untracked(),
            without_ingest: without_ingest.get_untracked(),
            actor: Some(actor.get_untracked()).filter(|a| !a.trim().is_empty()),
            action: AuditAction::ALL.iter().copied().find(|a| a.as_str() == picked),
            from: from.ok().flatten(),
            to: to.ok().flatten(),
            text: Some(text.get_untracked()).filter(|t| !t.trim().is_empty()),
        })
    };
    // Loads the first page (or, with `older`, the page after the last entry shown).
    let load = move |older: bool| {
        let mut wanted = match filter() {
            Ok(f) => f,
            Err(wrong) => {
                problems.set(wrong);
                return;
            }
        };
        problems.set(Vec::new());
        if older {
            wanted.before_seq = entries.with_untracked(|list| list.last().map(|e| e.seq));
        }
        let asked = with_query(AUDIT_ENTRIES, &wanted);
        loading.set(true);
        spawn_local(async move {
            match api::get::<Vec<AuditEntry>>(&asked).await {
                Ok(page) => {
                    more.set(page.len() as i64 == PAGE);
                    message.set(None);
                    if older {
                        entries.update(|list| list.extend(page));
                    } else {
                        entries.set(page);
                    }
                }
                Err(e) => message.set(Some(Err(e))),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| load(false));
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        load(false);
    };
    let verify = move |_| {
        spawn_local(async move {
            report.set(Some(api::get::<ChainReport>(AUDIT_VERIFY).await));
        });
    };
    let report_view = move || {
        report.get().map(|r| match r {
            Ok(r) if r.intact() => view! {
                <p class="ok" role="status">
                    "Chain intact: " {r.rows_checked} " rows checked in " {r.chains_checked} " chains."
                </p>
            }
            .into_any(),
            Ok(r) => view! {
                <p class="error" role="alert">
                    "Chain broken at row " {r.first_broken} " (chain " {r.chain} "): " {r.reason}
                </p>
            }
            .into_any(),
            Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        })
    };
    let rows = move || {
        let list = entries.get();
        if list.is_empty() && !loading.get() {
            return view! { <p class="notice" data-testid="audit-empty">"No entry matches these filters."</p> }
                .into_any();
        }
        view! {
            <table class="grid" data-testid="audit-entries">
                <thead><tr><th>"#"</th><th>"When (UTC)"</th><th>"Who"</th><th>"Act"</th><th>"Subject"</th><th>"Details"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|e| {
                        let refusal = AuditAction::ALL.iter().any(|a| a.as_str() == e.action && a.is_refusal());
                        view! {
                            <tr class:refusal=refusal>
                                <td>{e.seq}</td>
                                <td>{e.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                <td>{e.actor}</td>
                                <td>{e.action.replace('_', " ")}</td>
                                <td>{e.subject}</td>
                                <td>{details_view(&e.details)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="page">
            <h1>"Audit log"</h1>
            <div class="row">
                <button on:click=verify>"Verify the chain"</button>
                {report_view}
            </div>
            <form class="filters" on:submit=search data-testid="audit-filters"><Interactive>
                <label>"Who" <input name="actor" placeholder="username, system or feed:NAME" bind:value=actor/></label>
                <label>"Act"
                    <select name="action" on:change=move |ev| action.set(event_target_value(&ev))>
                        <option value="">"any act"</option>
                        {AuditAction::ALL.iter().map(|a| view! { <option value=a.as_str()>{a.as_str().replace('_', " ")}</option> }).collect_view()}
                    </select>
                </label>
                <label>"From (UTC)" <input name="from" placeholder="YYYY-MM-DD HH:MM:SS" bind:value=from/></label>
                <label>"To (UTC)" <input name="to" placeholder="YYYY-MM-DD HH:MM:SS" bind:value=to/></label>
                <label>"Text" <input name="text" placeholder="request reference, plate, id…" bind:value=text/></label>
                <label class="check"><input type="checkbox" name="refusals" bind:checked=refusals/> "Refusals only"</label>
                <label class="check"><input type="checkbox" name="without_ingest" bind:checked=without_ingest/> "Hide feed ingest"</label>
                <button type="submit">"Show"</button>
            </Interactive></form>
            {move || {
                let wrong = problems.get();
                (!wrong.is_empty()).then(|| view! {
                    <ul class="error" role="alert">{wrong.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
                })
            }}
            <Outcome message=message/>
            {rows}
            <Show when=move || more.get()>
                <button on:click=move |_| load(true) disabled=move || loading.get()>"Older entries"</button>
            </Show>
        </section>
    }
    .into_any()
}
