use crate::api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{Role, UserView};

/// A page of the workbench and who it is for.
struct Section {
    href: &'static str,
    label: &'static str,
    roles: &'static [Role],
}

const SECTIONS: [Section; 12] = [
    Section { href: "/map", label: "Map", roles: &[Role::Investigator, Role::HotlistAdmin, Role::SystemAdmin] },
    Section { href: "/search", label: "Search", roles: &[Role::Investigator] },
    Section { href: "/clones", label: "Clones", roles: &[Role::Investigator] },
    Section { href: "/requests", label: "Requests", roles: &[Role::Investigator, Role::Supervisor] },
    Section { href: "/statements", label: "Statements", roles: &[Role::Investigator, Role::Supervisor] },
    Section { href: "/locker", label: "Locker", roles: &[Role::Investigator, Role::Supervisor, Role::Auditor] },
    Section { href: "/hotlists", label: "Hotlists", roles: &[Role::HotlistAdmin] },
    Section { href: "/admin/users", label: "Users", roles: &[Role::SystemAdmin] },
    Section { href: "/admin/cameras", label: "Cameras", roles: &[Role::SystemAdmin] },
    Section { href: "/audit", label: "Audit log", roles: &[Role::Auditor] },
    Section { href: "/audit/sample", label: "Audit sample", roles: &[Role::Auditor] },
    Section { href: "/oversight", label: "Oversight", roles: &[Role::Auditor] },
];

/// The sections `user` may open, for navigation and the home page.
pub fn sections_for(user: &UserView) -> Vec<(&'static str, &'static str)> {
    SECTIONS.iter().filter(|s| user.has_any(s.roles)).map(|s| (s.href, s.label)).collect()
}

#[component]
pub fn NavBar(user: Option<UserView>) -> impl IntoView {
    let Some(user) = user else {
        return view! { <header class="topbar"><span class="brand">"ANPR workbench"</span></header> }.into_any();
    };
    let roles = user.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ");
    let links = sections_for(&user).into_iter().map(|(href, label)| view! { <a href=href>{label}</a> }).collect_view();
    let sign_out = move |_| {
        spawn_local(async move {
            // Whatever the answer, the next page load shows the session as the server has it.
            let _ = api::post_empty("/auth/logout").await;
            api::reload_at(crate::LOGIN_PATH);
        });
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">"ANPR workbench"</a>
            <nav>{links}</nav>
            <span class="who" data-testid="signed-in-user">
                {user.display_name.clone()} <small>" (" {roles} ")"</small>
            </span>
            <button class="link" on:click=sign_out>"Sign out"</button>
        </header>
    }
    .into_any()
}
