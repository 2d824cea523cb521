use crate::api;
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::accounts::SignInFailure;
use shared::endpoints::SIGN_IN;
use shared::{LoginRequest, UserView};

#[component]
pub fn LoginPage() -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // What went wrong with a sign-in the server answered itself (the form posted before the
    // page was interactive).
    let said = leptos_router::hooks::use_query_map().with_untracked(|q| {
        q.get("error").map(|code| SignInFailure::parse(&code).unwrap_or(SignInFailure::Failed).message().to_owned())
    });
    let error = RwSignal::new(said);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let body = LoginRequest { username: username.get_untracked(), password: password.get_untracked() };
        if let Err(e) = body.check() {
            error.set(Some(e));
            busy.set(false);
            return;
        }
        spawn_local(async move {
            match api::post::<_, UserView>(SIGN_IN, &body).await {
                Ok(_) => api::reload_at("/"),
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <section class="page narrow">
            <h1>"Sign in"</h1>
            <p class="marking">"OFFICIAL-SENSITIVE. Use of this system is logged and audited."</p>
            // Posted to the server itself until the page is interactive: a password never goes
            // into a URL.
            <form method="post" action="/login" on:submit=submit class="stack">
                <label>"Username" <input name="username" autocomplete="username" required bind:value=username/></label>
                <label>
                    "Password"
                    <input name="password" type="password" autocomplete="current-password" required bind:value=password/>
                </label>
                <button type="submit" disabled=move || busy.get()>"Sign in"</button>
                <p class="error" role="alert">{move || error.get()}</p>
            </form>
        </section>
    }
}
