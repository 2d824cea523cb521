//! Hotlist administration (R6, R9): lists with their audience, entries, reviews, CSV import.

use crate::api;
use crate::components::loaded::{Loaded, LoadedList};
use crate::components::outcome::{parsed, sendable, FieldError, FormState, Interactive, Message, Outcome};
use crate::components::table::{holds, Sort, SortHeader};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::accounts::DirectoryEntry;
use shared::endpoints::{
    path, with_query, HOTLISTS, HOTLIST_ENTRIES, HOTLIST_ENTRY, HOTLIST_ENTRY_REMOVE, HOTLIST_ENTRY_REVIEW,
    HOTLIST_IMPORT, HOTLIST_REVIEWS_DUE, USER_DIRECTORY,
};
use shared::hotlists::{import_parts, DueQuery, IMPORT_PART_BYTES, IMPORT_PART_ROWS};
use shared::hotlists::{
    Audience, EntryPattern, EntryUpdate, EntryView, HotlistKind, HotlistView, ImportReport, NewEntry, NewHotlist,
    RemoveEntry, ReviewEntry,
};
use shared::requests::Purpose;
use shared::Role;

#[component]
pub fn HotlistsPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/hotlists") {
        return refused;
    }
    let lists = LocalResource::new(|| api::get::<Vec<HotlistView>>(HOTLISTS));
    let selected = RwSignal::new(None::<HotlistView>);
    let due = LocalResource::new(|| async {
        api::get::<Vec<EntryView>>(&with_query(HOTLIST_REVIEWS_DUE, &DueQuery { within_days: Some(3) })).await
    });
    view! {
        <section class="page">
            <h1>"Hotlists"</h1>
            <div class="columns">
                <div>
                    <Loaded what=lists let:list>
                        <table class="grid" data-testid="hotlists">
                            <thead><tr><th>"List"</th><th>"Kind"</th><th>"Audience"</th><th>"Purpose"</th><th></th></tr></thead>
                            <tbody>{list.into_iter().map(|h| {
                                let audience = match &h.audience {
                                    Audience::Role { role } => format!("everyone with {}", role.label()),
                                    Audience::Members { user_ids } => format!("restricted: {} members", user_ids.len()),
                                };
                                let chosen = h.clone();
                                view! {
                                    <tr data-hotlist=h.name.clone()>
                                        <td>{h.name.clone()}</td><td>{h.kind.as_str()}</td><td>{audience}</td><td>{h.purpose.label()}</td>
                                        <td><button class="small" on:click=move |_| selected.set(Some(chosen.clone()))>"Open"</button></td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                    </Loaded>
                    {move || selected.get().map(|h| view! { <Entries list=h on_change=move || due.refetch()/> })}
                </div>
                <div class="stack">
                    <NewList on_created=move || lists.refetch()/>
                    <div class="panel">
                        <h2>"Due for review within 3 days"</h2>
                        <LoadedList what=due empty="Nothing is due." let:list>
                            <ul>{list.into_iter().map(|e| view! {
                                <li><strong>{e.vrm}</strong> " — due " {e.review_due.format("%Y-%m-%d %H:%M").to_string()}</li>
                            }).collect_view()}</ul>
                        </LoadedList>
                    </div>
                </div>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn NewList(on_created: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("voi".to_owned());
    let audience = RwSignal::new("role:investigator".to_owned());
    let purpose = RwSignal::new(Purpose::CrimeInvestigation.as_str().to_owned());
    let members = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    let directory = LocalResource::new(|| api::get::<Vec<DirectoryEntry>>(USER_DIRECTORY));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let names: Vec<String> =
            members.get_untracked().split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        let audience = match audience.get_untracked().strip_prefix("role:").and_then(|r| r.parse::<Role>().ok()) {
            Some(role) => Audience::Role { role },
            None => {
                let known = directory.get().and_then(|d| d.ok()).unwrap_or_default();
                let mut ids = Vec::new();
                for name in &names {
                    match known.iter().find(|u| u.username.as_str() == name) {
                        Some(u) => ids.push(u.id),
                        None => return message.set(Some(Err(format!("no user `{name}`")))),
                    }
                }
                Audience::Members { user_ids: ids }
            }
        };
        let new = NewHotlist {
            name: name.get_untracked(),
            kind: HotlistKind::parse(&kind.get_untracked()).unwrap_or(HotlistKind::Voi),
            audience,
            purpose: Purpose::parse(&purpose.get_untracked()).unwrap_or(Purpose::CrimeInvestigation),
        };
        if !sendable(message, new.check()) {
            return;
        }
        spawn_local(async move {
            let done = api::post::<_, HotlistView>(HOTLISTS, &new).await;
            message.set(Some(done.map(|h| format!("Created {}.", h.name))));
            on_created();
        });
    };
    view! {
        <form class="stack panel" on:submit=submit data-testid="new-hotlist"><Interactive>
            <h2>"New list"</h2>
            <label>"Name" <input name="name" bind:value=name/></label>
            <label>"Kind"
                <select name="kind" on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                    <option value="voi">"Vehicles of interest"</option>
                    <option value="vsh">"Violence suppression"</option>
                    <option value="pnc_marker">"PNC markers"</option>
                    <option value="operation">"Operation"</option>
                </select>
            </label>
            <label>"Audience"
                <select name="audience" on:change=move |ev| audience.set(event_target_value(&ev)) prop:value=move || audience.get()>
                    <option value="role:investigator">"All investigators"</option>
                    <option value="role:supervisor">"All supervisors"</option>
                    <option value="role:hotlist_admin">"Hotlist admins"</option>
                    <option value="members">"Restricted: named users"</option>
                </select>
            </label>
            <label>"Purpose (it matches only reads whose source allows it)"
                <select name="purpose" on:change=move |ev| purpose.set(event_target_value(&ev)) prop:value=move || purpose.get()>
                    {Purpose::ALL.into_iter().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                </select>
            </label>
            <Show when=move || audience.get() == "members">
                <label>"Members (usernames, comma-separated)" <input name="members" bind:value=members/></label>
            </Show>
            <button type="submit">"Create list"</button>
            <Outcome message=message/>
        </Interactive></form>
    }
}

#[component]
fn Entries(list: HotlistView, on_change: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let id = list.id;
    let entries =
        LocalResource::new(move || async move { api::get::<Vec<EntryView>>(&path(HOTLIST_ENTRIES, &[&id])).await });
    let vrm = RwSignal::new(String::new());
    let reference = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let markers = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let why = RwSignal::new(String::new());
    let editing = RwSignal::new(None::<i64>);
    let message: Message = RwSignal::new(None);
    let find = RwSignal::new(String::new());
    let sort = Sort::by("vrm", false);
    let refresh = move || {
        entries.refetch();
        on_change();
    };
    let form = FormState::answering_in(message);
    let clear = move || {
        for field in [vrm, reference, reason, markers, action] {
            field.set(String::new());
        }
        editing.set(None);
    };
    let marker_list = move || -> Vec<String> {
        markers.get_untracked().split(';').map(|m| m.trim().to_owned()).filter(|m| !m.is_empty()).collect()
    };
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(entry_id) = editing.get_untracked() {
            let change = EntryUpdate {
                intelligence_ref: Some(reference.get_untracked()),
                reason: Some(reason.get_untracked()),
                warning_markers: Some(marker_list()),
                action: Some(action.get_untracked()),
            };
            let path = path(HOTLIST_ENTRY, &[&entry_id]);
            form.send(async move { api::submit::<_, EntryView>("PATCH", &path, &change).await }, move |e| {
                clear();
                refresh();
                format!("Saved {}.", e.vrm)
            });
            return;
        }
        let mut problems = Vec::new();
        let pattern =
            parsed(&mut problems, "vrm", EntryPattern::parse(&vrm.get_untracked()).map_err(|e| e.to_string()));
        let new = NewEntry {
            // A stand-in while the VRM is wrong, so the other fields' problems show with its.
            vrm: pattern.unwrap_or_else(|| EntryPattern::parse("A1").expect("a valid plate")),
            intelligence_ref: reference.get_untracked(),
            reason: reason.get_untracked(),
            warning_markers: marker_list(),
            action: action.get_untracked(),
        };
        let Some(new) = form.checked(new, problems) else { return };
        let path = path(HOTLIST_ENTRIES, &[&id]);
        form.send(async move { api::submit::<_, EntryView>("POST", &path, &new).await }, move |e| {
            clear();
            refresh();
            format!("Added {}.", e.vrm)
        });
    };
    let act = move |entry_id: i64, vrm: String, review: bool| {
        let text = why.get_untracked();
        let checked = if review {
            ReviewEntry { justification: text.clone() }.check()
        } else {
            RemoveEntry { reason: text.clone() }.check()
        };
        if !sendable(message, checked) {
            return;
        }
        if !review && !crate::confirm(&format!("Remove {vrm} from this list? It stops matching at once.")) {
            return;
        }
        spawn_local(async move {
            let done = if review {
                api::post::<_, EntryView>(
                    &path(HOTLIST_ENTRY_REVIEW, &[&entry_id]),
                    &ReviewEntry { justification: text },
                )
                .await
                .map(|e| format!("Reviewed {}; next due {}.", e.vrm, e.review_due.format("%Y-%m-%d")))
            } else {
                api::post_no_answer(&path(HOTLIST_ENTRY_REMOVE, &[&entry_id]), &RemoveEntry { reason: text })
                    .await
                    .map(|_| "Removed.".to_owned())
            };
            if done.is_ok() {
                why.set(String::new());
            }
            message.set(Some(done));
            refresh();
        });
    };
    view! {
        <div class="panel" data-testid="entries">
            <h2>{list.name.clone()}</h2>
            <Outcome message=message/>
            <label>"Justification or reason (for review and removal)" <input name="why" bind:value=why/></label>
            <label>"Find an entry (VRM, reference, reason, who added it)" <input name="find" type="search" bind:value=find/></label>
            <Loaded what=entries let:list>
                {
                    let mut list = list;
                    list.retain(|e| holds(&find.get(), &[&e.vrm, &e.intelligence_ref, &e.reason, &e.added_by]));
                    sort.get().apply(&mut list, |a, b, column| match column {
                        "added" => a.added_at.cmp(&b.added_at),
                        "review" => a.review_due.cmp(&b.review_due),
                        "hits" => a.hits.cmp(&b.hits),
                        "last_hit" => a.last_hit_at.cmp(&b.last_hit_at),
                        _ => a.vrm.cmp(&b.vrm),
                    });
                    view! {
                    <table class="grid">
                        <thead><tr>
                            <SortHeader sort=sort column="vrm" label="VRM"/><th>"Ref"</th><th>"Reason"</th><th>"Markers"</th>
                            <SortHeader sort=sort column="added" label="Added"/><SortHeader sort=sort column="review" label="Review due"/>
                            <SortHeader sort=sort column="hits" label="Hits"/><SortHeader sort=sort column="last_hit" label="Last hit (UTC)"/><th></th>
                        </tr></thead>
                        <tbody>{list.into_iter().map(|e| {
                            let entry_id = e.id;
                            let (to_review, to_remove) = (e.vrm.clone(), e.vrm.clone());
                            let chosen = e.clone();
                            let edit = move |_| {
                                vrm.set(chosen.vrm.clone());
                                reference.set(chosen.intelligence_ref.clone());
                                reason.set(chosen.reason.clone());
                                markers.set(chosen.warning_markers.join("; "));
                                action.set(chosen.action.clone());
                                editing.set(Some(chosen.id));
                            };
                            view! {
                                <tr data-vrm=e.vrm.clone()>
                                    <td class="plate">{e.vrm.clone()}</td><td>{e.intelligence_ref.clone()}</td><td>{e.reason.clone()}</td>
                                    <td>{e.warning_markers.join(", ")}</td>
                                    <td>{e.added_by.clone()} " " <small>{e.added_at.format("%Y-%m-%d").to_string()}</small></td>
                                    <td>{e.review_due.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                    <td class="hits">{e.hits}</td>
                                    <td>{e.last_hit_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "never".into())}</td>
                                    <td>
                                        <button class="small" on:click=edit>"Edit"</button>
                                        <button class="small" on:click=move |_| act(entry_id, to_review.clone(), true)>"Review"</button>
                                        <button class="small danger" on:click=move |_| act(entry_id, to_remove.clone(), false)>"Remove"</button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
                }
            </Loaded>
            <form class="stack" on:submit=add data-testid="new-entry"><Interactive>
                <h3>{move || if editing.get().is_some() { "Edit the entry" } else { "Add an entry" }}</h3>
                <label>"VRM or pattern (? one character, * any)" <input name="vrm" bind:value=vrm disabled=move || editing.get().is_some()/></label>
                    <FieldError form=form field="vrm"/>
                <label>"Intelligence reference" <input name="intelligence_ref" bind:value=reference/></label>
                    <FieldError form=form field="intelligence_ref"/>
                <label>"Reason" <input name="reason" bind:value=reason/></label><FieldError form=form field="reason"/>
                <label>"Warning markers (;-separated)" <input name="markers" bind:value=markers/></label>
                    <FieldError form=form field="warning_markers"/>
                <label>"Action" <input name="action" bind:value=action/></label><FieldError form=form field="action"/>
                <div class="row">
                    <button type="submit" prop:disabled=move || form.busy()>
                        {move || if editing.get().is_some() { "Save entry" } else { "Add entry" }}
                    </button>
                    <Show when=move || editing.get().is_some()>
                        <button type="button" class="link" on:click=move |_| clear()>"Add a new entry instead"</button>
                    </Show>
                </div>
            </Interactive></form>
            <CsvImport list_id=id on_done=refresh/>
        </div>
    }
}

/// A CSV import, chosen as a file or pasted, sent in parts (each within the API's body limit)
/// so a file of thousands of rows goes in with its progress shown. Leaving the page does not
/// stop it: the parts go on being sent, and the list is whole when it is done.
#[component]
fn CsvImport(list_id: i64, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let csv = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    // Rows sent and rows in all, while an import runs.
    let progress = RwSignal::new(None::<(usize, usize)>);
    let choose = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(text) => csv.set(text.as_string().unwrap_or_default()),
                Err(_) => message.set(Some(Err(format!("The file {} could not be read.", file.name())))),
            }
        });
    };
    let import = move |_| {
        let text = csv.get_untracked();
        let parts = import_parts(&text, IMPORT_PART_ROWS, IMPORT_PART_BYTES);
        if parts.is_empty() {
            return message.set(Some(Err("Not sent: choose or paste a CSV with a header and rows first.".into())));
        }
        let total: usize = parts.iter().map(|p| p.rows).sum();
        message.set(None);
        progress.set(Some((0, total)));
        spawn_local(async move {
            let (mut sent, mut added, mut refused, mut stopped) = (0, 0, Vec::new(), None);
            for part in parts {
                match api::post_text::<ImportReport>(&path(HOTLIST_IMPORT, &[&list_id]), part.csv.clone(), "text/csv")
                    .await
                {
                    Ok(report) => {
                        added += report.added;
                        refused.extend(
                            report
                                .refused
                                .into_iter()
                                .map(|r| format!("line {}: {}", part.line_in_file(r.line), r.reason)),
                        );
                    }
                    Err(e) => {
                        stopped = Some(e);
                        break;
                    }
                }
                sent += part.rows;
                // The page may have been left: its signals are then gone, and the parts go on.
                let _ = progress.try_set(Some((sent, total)));
            }
            let answer = match (stopped, refused.is_empty()) {
                (Some(e), _) => Err(format!("Stopped after {sent} of {total} rows ({added} entries added): {e}")),
                (None, true) => Ok(format!("Imported {added} entries.")),
                (None, false) => {
                    Err(format!("Imported {added} entries; refused {}: {}", refused.len(), refused.join("; ")))
                }
            };
            if answer.is_ok() {
                let _ = csv.try_set(String::new());
            }
            // Answered on the page only if it is still open.
            if progress.try_set(None).is_none() {
                message.set(Some(answer));
                on_done();
            }
        });
    };
    view! {
        <div class="stack" data-testid="csv-import">
            <h3>"Import CSV"</h3>
            <label>"File" <input type="file" name="csv_file" accept=".csv,text/csv" on:change=choose/></label>
            <label>"vrm,intelligence_ref,reason,warning_markers,action" <textarea name="csv" rows="5" bind:value=csv></textarea></label>
            <button on:click=import prop:disabled=move || progress.get().is_some()>"Import"</button>
            {move || progress.get().map(|(sent, total)| view! {
                <p role="status">
                    <progress max=total value=sent></progress>
                    " " {format!("Sent {sent} of {total} rows…")}
                </p>
            })}
            <Outcome message=message/>
        </div>
    }
}
