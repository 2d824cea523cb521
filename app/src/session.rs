//! Who is signed in on this page, as the server rendered it, and which pages their roles open:
//! one table for the navigation, the start page and every page's own gate.

use leptos::prelude::*;
use shared::{MapSettings, Role, ShellData, UserView};

/// A page of the workbench and who it is for.
pub struct Page {
    pub href: &'static str,
    pub label: &'static str,
    pub roles: &'static [Role],
}

pub const PAGES: [Page; 16] = [
    Page { href: "/map", label: "Map", roles: &[Role::Investigator, Role::HotlistAdmin, Role::SystemAdmin] },
    Page { href: "/search", label: "Search", roles: &[Role::Investigator] },
    Page { href: "/analysis", label: "Analysis", roles: &[Role::Investigator] },
    Page { href: "/clones", label: "Clones", roles: &[Role::Investigator] },
    Page { href: "/requests", label: "Requests", roles: &[Role::Investigator, Role::Supervisor] },
    Page { href: "/statements", label: "Statements", roles: &[Role::Investigator, Role::Supervisor] },
    Page { href: "/locker", label: "Locker", roles: &[Role::Investigator, Role::Supervisor, Role::Auditor] },
    Page { href: "/exports", label: "Exports out", roles: &[Role::Investigator, Role::Supervisor, Role::Auditor] },
    Page { href: "/hotlists", label: "Hotlists", roles: &[Role::HotlistAdmin] },
    Page { href: "/admin/users", label: "Users", roles: &[Role::SystemAdmin] },
    Page { href: "/admin/cameras", label: "Cameras", roles: &[Role::SystemAdmin] },
    Page { href: "/audit", label: "Audit log", roles: &[Role::Auditor] },
    Page { href: "/audit/sample", label: "Audit sample", roles: &[Role::Auditor] },
    Page { href: "/audit/flags", label: "Unusual use", roles: &[Role::Auditor] },
    Page { href: "/registers", label: "Registers", roles: &[Role::Auditor] },
    Page { href: "/oversight", label: "Annual report", roles: &[Role::Auditor] },
];

/// The pages `user` may open, for navigation and the start page.
pub fn pages_for(user: &UserView) -> Vec<(&'static str, &'static str)> {
    PAGES.iter().filter(|p| user.has_any(p.roles)).map(|p| (p.href, p.label)).collect()
}

/// The signed-in user of this page, if any (from the shell data).
pub fn signed_in_user() -> Option<UserView> {
    use_context::<ShellData>().and_then(|s| s.user)
}

/// The deployment's rules as configured (from the shell data).
pub fn policy() -> shared::Policy {
    use_context::<ShellData>().map(|s| s.policy).unwrap_or_default()
}

/// How this deployment draws maps (from the shell data).
pub fn map_settings() -> MapSettings {
    use_context::<ShellData>().map(|s| s.map).unwrap_or_default()
}

/// The gate of the page at `href`: the signed-in user if their roles open it, or the notice to
/// show in its place (the server refuses the page's data to anyone else anyway).
pub fn page_user(href: &str) -> Result<UserView, AnyView> {
    let roles = PAGES.iter().find(|p| p.href == href).map_or(&[][..], |p| p.roles);
    signed_in_user().filter(|u| u.has_any(roles)).ok_or_else(|| {
        let names = roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(" or ");
        view! { <p class="notice" data-testid="not-permitted">"This page is for users with the " {names} " role."</p> }
            .into_any()
    })
}
