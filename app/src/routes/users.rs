//! User administration (system admins): list, create, change roles/tier/rank, disable.

use crate::api;
use crate::components::loaded::{Loaded, LoadedList};
use crate::components::outcome::{parsed, FieldError, FormState, Interactive, Message, Outcome};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::accounts::PendingUserChange;
use shared::endpoints::{path, USER, USERS, USER_CHANGES, USER_CHANGE_APPROVE, USER_CHANGE_REJECT, USER_RESTRICTIONS};
use shared::search::{Capability, Restrictions};
use shared::{AccessTier, NewUser, Rank, Role, UserUpdate, UserView, Username};
use std::collections::BTreeSet;

#[component]
pub fn UsersPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/admin/users") {
        return refused;
    }
    let users = LocalResource::new(|| api::get::<Vec<UserView>>(USERS));
    let held = LocalResource::new(|| api::get::<Vec<PendingUserChange>>(USER_CHANGES));
    let refresh = move || {
        users.refetch();
        held.refetch();
    };
    let editing = RwSignal::new(None::<UserView>);
    view! {
        <section class="page">
            <h1>"Users"</h1>
            <div class="columns">
                <div class="stack">
                    <Loaded what=users let:list>
                        <table class="grid" data-testid="users">
                            <thead>
                                <tr><th>"Username"</th><th>"Name"</th><th>"Roles"</th><th>"Tier"</th><th>"Rank"</th><th>"Status"</th><th></th></tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|u| user_row(u, editing)).collect_view()}
                            </tbody>
                        </table>
                    </Loaded>
                    <HeldChanges held=held on_decided=refresh/>
                </div>
                <div class="stack">
                    <UserForm editing=editing on_saved=refresh/>
                    {move || editing.get().filter(|u| u.has(Role::Investigator)).map(|u| view! { <SearchRestrictions user=u/> })}
                </div>
            </div>
        </section>
    }
    .into_any()
}

fn user_row(u: UserView, editing: RwSignal<Option<UserView>>) -> impl IntoView {
    let roles = u.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ");
    let status = if u.disabled { "disabled" } else { "active" };
    let username = u.username.to_string();
    let key = username.clone();
    view! {
        <tr data-username=key>
            <td>{username}</td>
            <td>{u.display_name.clone()}</td>
            <td>{roles}</td>
            <td>{u.tier.map(|t| t.as_str())}</td>
            <td>{u.rank.map(|r| r.as_str())}</td>
            <td>{status}</td>
            <td><button class="link" on:click=move |_| editing.set(Some(u.clone()))>"Edit"</button></td>
        </tr>
    }
}

/// Changes to accounts held for a second system admin (separation of duties): what each grants,
/// who proposed it; approved or rejected here by any other system admin.
#[component]
fn HeldChanges(
    held: LocalResource<Result<Vec<PendingUserChange>, String>>,
    on_decided: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let message: Message = RwSignal::new(None);
    let me = crate::session::signed_in_user().map(|u| u.username.to_string()).unwrap_or_default();
    let decide = move |id: i64, username: String, approve: bool| {
        let endpoint = if approve { USER_CHANGE_APPROVE } else { USER_CHANGE_REJECT };
        spawn_local(async move {
            let done = api::post::<_, UserView>(&path(endpoint, &[&id]), &()).await;
            message.set(Some(done.map(|_| {
                if approve {
                    format!("Approved: the change to {username} is made.")
                } else {
                    format!("Rejected: {username} stays as they were.")
                }
            })));
            on_decided();
        });
    };

    view! {
        <section class="panel stack" data-testid="held">
            <h2>"Waiting for a second admin"</h2>
            <LoadedList what=held empty="No change waits for a second admin." let:list>
                <table class="grid" data-testid="held-changes">
                    <thead><tr><th>"Account"</th><th>"Grants"</th><th>"Proposed by"</th><th>"At"</th><th></th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|c| {
                            let own = c.proposed_by == me;
                            let (id, name, again) = (c.id, c.username.clone(), c.username.clone());
                            view! {
                                <tr data-change=c.id>
                                    <td>{c.username.clone()}</td>
                                    <td>{c.elevations.join("; ")}</td>
                                    <td>{c.proposed_by.clone()}</td>
                                    <td><crate::components::time::Time at=c.proposed_at/></td>
                                    <td class="row">
                                        {if own {
                                            view! { <span title="a second system admin decides">"yours: another admin decides"</span> }.into_any()
                                        } else {
                                            view! {
                                                <button type="button" on:click=move |_| decide(id, name.clone(), true)>"Approve"</button>
                                                <button type="button" class="link" on:click=move |_| decide(id, again.clone(), false)>"Reject"</button>
                                            }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </LoadedList>
            <Outcome message=message/>
        </section>
    }
}

/// Creates a user, or edits the one in `editing`.
#[component]
fn UserForm(editing: RwSignal<Option<UserView>>, on_saved: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let roles = RwSignal::new(BTreeSet::<Role>::new());
    let tier = RwSignal::new(String::new());
    let rank = RwSignal::new(String::new());
    let disabled = RwSignal::new(false);
    let form = FormState::default();

    // Load the chosen user into the form, or clear it for a new one.
    Effect::new(move |_| {
        let chosen = editing.get();
        username.set(chosen.as_ref().map(|u| u.username.to_string()).unwrap_or_default());
        display_name.set(chosen.as_ref().map(|u| u.display_name.clone()).unwrap_or_default());
        roles.set(chosen.as_ref().map(|u| u.roles.clone()).unwrap_or_default());
        tier.set(chosen.as_ref().and_then(|u| u.tier).map(|t| t.as_str().to_owned()).unwrap_or_default());
        rank.set(chosen.as_ref().and_then(|u| u.rank).map(|r| r.as_str().to_owned()).unwrap_or_default());
        disabled.set(chosen.as_ref().is_some_and(|u| u.disabled));
        password.set(String::new());
    });

    let has = move |role: Role| roles.with(|r| r.contains(&role));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let chosen_roles = roles.get_untracked();
        let tier = chosen_roles
            .contains(&Role::Investigator)
            .then(|| tier.get_untracked().parse::<AccessTier>().ok())
            .flatten();
        let rank =
            chosen_roles.contains(&Role::Supervisor).then(|| rank.get_untracked().parse::<Rank>().ok()).flatten();
        let pw = password.get_untracked();
        match editing.get_untracked() {
            Some(user) => {
                if disabled.get_untracked()
                    && !user.disabled
                    && !crate::confirm(&format!(
                        "Disable {}? They are signed out at once and their open streams and watches end.",
                        user.username
                    ))
                {
                    return;
                }
                let change = UserUpdate {
                    display_name: Some(display_name.get_untracked()),
                    roles: Some(chosen_roles),
                    tier,
                    rank,
                    disabled: Some(disabled.get_untracked()),
                    password: (!pw.is_empty()).then_some(pw),
                };
                let current =
                    shared::accounts::Authority { roles: user.roles.clone(), tier: user.tier, rank: user.rank };
                if !crate::components::outcome::sendable(form.message, change.check(&current).map(|_| ())) {
                    return;
                }
                let path = path(USER, &[&user.id]);
                let call = async move { api::submit_answered::<_, UserView>("PATCH", &path, &change).await };
                form.send(call, move |(status, u)| {
                    on_saved();
                    if status == 202 {
                        format!(
                            "Not yet made: the change to {} waits for a second system admin's approval \
                             (separation of duties).",
                            u.username
                        )
                    } else {
                        format!("Saved {}.", u.username)
                    }
                });
            }
            None => {
                let mut problems = Vec::new();
                let name = parsed(
                    &mut problems,
                    "username",
                    Username::parse(&username.get_untracked()).map_err(|e| e.to_string()),
                );
                // The username's problem is shown with the others (any name stands in for the check).
                let new = NewUser {
                    username: name.clone().unwrap_or_else(|| Username::parse("placeholder").expect("a valid name")),
                    display_name: display_name.get_untracked(),
                    password: pw,
                    roles: chosen_roles,
                    tier,
                    rank,
                };
                let Some(new) = form.checked(new, problems) else { return };
                let call = async move { api::submit::<_, UserView>("POST", USERS, &new).await };
                form.send(call, move |u| {
                    editing.set(None);
                    on_saved();
                    if u.disabled {
                        format!(
                            "Created {}, disabled until a second system admin approves what it holds \
                             (separation of duties).",
                            u.username
                        )
                    } else {
                        format!("Created {}.", u.username)
                    }
                });
            }
        }
    };

    let role_boxes = Role::ALL
        .into_iter()
        .map(|role| {
            view! {
                <label class="check">
                    <input
                        type="checkbox"
                        name=role.as_str()
                        prop:checked=move || has(role)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            roles.update(|r| {
                                if on { r.insert(role); } else { r.remove(&role); }
                            });
                        }
                    />
                    {role.label()}
                </label>
            }
        })
        .collect_view();

    view! {
        <form class="stack panel" on:submit=submit data-testid="user-form"><Interactive>
            <h2>{move || if editing.get().is_some() { "Edit user" } else { "New user" }}</h2>
            <label>"Username" <input name="username" bind:value=username disabled=move || editing.get().is_some()/></label>
                <FieldError form=form field="username"/>
            <label>"Display name" <input name="display_name" bind:value=display_name/></label>
                <FieldError form=form field="display_name"/>
            <label>
                {move || if editing.get().is_some() { "New password (leave empty to keep)" } else { "Password" }}
                <input name="password" type="password" autocomplete="new-password" bind:value=password/></label>
                <FieldError form=form field="password"/>
            <fieldset><legend>"Roles"</legend>{role_boxes}<FieldError form=form field="roles"/></fieldset>
            <label>
                "Tier"
                <select name="tier" prop:value=move || tier.get() on:change=move |ev| tier.set(event_target_value(&ev))
                    disabled=move || !has(Role::Investigator)>
                    <option value="">"—"</option>
                    <option value="local">"Local (90 days)"</option>
                    <option value="central">"Central (12 months)"</option>
                </select>
            </label>
            <label>
                "Rank"
                <select name="rank" prop:value=move || rank.get() on:change=move |ev| rank.set(event_target_value(&ev))
                    disabled=move || !has(Role::Supervisor)>
                    <option value="">"—"</option>
                    <option value="sergeant">"Sergeant"</option>
                    <option value="inspector">"Inspector"</option>
                </select>
            </label>
            <Show when=move || editing.get().is_some()>
                <label class="check"><input type="checkbox" name="disabled" bind:checked=disabled/>"Account disabled"</label>
            </Show>
            <div class="row">
                <button type="submit" prop:disabled=move || form.busy()>
                    {move || if editing.get().is_some() { "Save" } else { "Create user" }}
                </button>
                <Show when=move || editing.get().is_some()>
                    <button type="button" class="link" on:click=move |_| editing.set(None)>"New user instead"</button>
                </Show>
            </div>
            <Outcome message=form.message/>
        </Interactive></form>
    }
}

/// What an investigator may not search (R13): kinds of search and cameras.
#[component]
fn SearchRestrictions(user: UserView) -> impl IntoView {
    let path = path(USER_RESTRICTIONS, &[&user.id]);
    let denied = RwSignal::new(BTreeSet::<Capability>::new());
    let cameras = RwSignal::new(String::new());
    let message: Message = RwSignal::new(None);
    // The boxes stay disabled until the saved restrictions are in, so a box
    // ticked early is not undone by the answer arriving after it.
    let loaded = RwSignal::new(false);
    let load = path.clone();
    spawn_local(async move {
        match api::get::<Restrictions>(&load).await {
            Ok(r) => {
                denied.set(r.denied_capabilities);
                cameras.set(r.denied_cameras.iter().map(i64::to_string).collect::<Vec<_>>().join(", "));
                loaded.set(true);
            }
            Err(e) => message.set(Some(Err(e))),
        }
    });
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let ids: Result<BTreeSet<i64>, String> = crate::components::scope::camera_ids(&cameras.get_untracked());
        let body = match ids {
            Ok(denied_cameras) => Restrictions { denied_capabilities: denied.get_untracked(), denied_cameras },
            Err(e) => return message.set(Some(Err(e))),
        };
        let path = path.clone();
        spawn_local(async move {
            let done = api::put::<_, Restrictions>(&path, &body).await;
            message.set(Some(done.map(|_| "Restrictions saved.".to_owned())));
        });
    };
    view! {
        <form class="stack panel" on:submit=save data-testid="search-restrictions"><Interactive>
            <h2>"Search restrictions: " {user.username.to_string()}</h2>
            <fieldset class="interactive" disabled=move || !loaded.get()>
            {Capability::ALL.into_iter().map(|c| view! {
                <label class="check">
                    <input type="checkbox" name=c.as_str()
                        prop:checked=move || denied.with(|d| d.contains(&c))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            denied.update(|d| { if on { d.insert(c); } else { d.remove(&c); } });
                        }/>
                    "No " {c.label()}
                </label>
            }).collect_view()}
            <crate::components::camera_picker::CameraPicker ids=cameras label="Cameras withheld" name="denied_cameras"/>
            <button type="submit">"Save restrictions"</button>
            </fieldset>
            <Outcome message=message/>
        </Interactive></form>
    }
}
