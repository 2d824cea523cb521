use crate::components::map::LeafletMap;
use crate::routes::NotPermitted;
use leptos::prelude::*;
use shared::{Role, ShellData};

#[component]
pub fn MapPage() -> impl IntoView {
    let shell = use_context::<ShellData>();
    let allowed = |s: &ShellData| {
        s.user.as_ref().is_some_and(|u| u.has_any(&[Role::Investigator, Role::HotlistAdmin, Role::SystemAdmin]))
    };
    let Some(shell) = shell.filter(allowed) else {
        return view! { <NotPermitted role=Role::Investigator/> }.into_any();
    };
    view! {
        <section class="page full">
            <LeafletMap settings=shell.map.clone()/>
        </section>
    }
    .into_any()
}
