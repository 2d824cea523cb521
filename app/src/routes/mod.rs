pub mod audit;
pub mod cameras;
pub mod clones;
pub mod home;
pub mod hotlists;
pub mod locker;
pub mod login;
pub mod map;
pub mod oversight;
pub mod requests;
pub mod sample;
pub mod search;
pub mod statements;
pub mod users;

use leptos::prelude::*;
use shared::Role;

/// Shown instead of a page the user's roles do not open (the server refuses its data anyway).
#[component]
pub fn NotPermitted(role: Role) -> impl IntoView {
    view! { <p class="notice">"This page is for users with the " {role.label()} " role."</p> }
}
