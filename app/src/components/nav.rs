use crate::api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::endpoints::SIGN_OUT;
use shared::UserView;

#[component]
pub fn NavBar(user: Option<UserView>) -> impl IntoView {
    let Some(user) = user else {
        return view! { <header class="topbar"><span class="brand">"ANPR workbench"</span></header> }.into_any();
    };
    let roles = user.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ");
    let links = crate::session::pages_for(&user)
        .into_iter()
        .map(|(href, label)| view! { <a href=href>{label}</a> })
        .collect_view();
    let sign_out = move |_| {
        spawn_local(async move {
            // Whatever the answer, the next page load shows the session as the server has it.
            let _ = api::post_empty(SIGN_OUT).await;
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
