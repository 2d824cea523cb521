//! The workbench UI: server-rendered, then hydrated in the browser. It shows what the server
//! allows — every piece of data comes through the same HTTP API a feed or script would use, and
//! the server decides; hiding a link here is a convenience, never a protection.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod routes;
pub mod session;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use shared::ShellData;

pub const LOGIN_PATH: &str = "/login";

/// The HTML document around the app (rendered on the server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The server provides what the shell needs; the browser reads it back from this tag
    // before hydrating, so both render the same page.
    let data = use_context::<ShellData>().and_then(|d| serde_json::to_string(&d).ok()).unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="anpr-shell" content=data/>
                // No icon to fetch (and no 404 for one).
                <link rel="icon" href="data:,"/>
                <link rel="stylesheet" href="/vendor/leaflet/leaflet.css"/>
                <link rel="stylesheet" href="/vendor/leaflet.markercluster/MarkerCluster.css"/>
                <link rel="stylesheet" href="/vendor/leaflet.markercluster/MarkerCluster.Default.css"/>
                // Named by its content's hash in a release build, so it may be cached for good.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <script src="/vendor/leaflet/leaflet.js"></script>
                <script src="/vendor/leaflet.markercluster/leaflet.markercluster.js"></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Absent only when the server lists the routes without rendering a request.
    let user = session::signed_in_user();
    provide_context(components::alerts::MapFocus(RwSignal::new(None)));
    provide_context(components::alerts::AlertFeed(RwSignal::new(Vec::new())));
    view! {
        <Title text="ANPR workbench"/>
        <Router>
            <components::nav::NavBar user=user.clone()/>
            // Alerts go to investigators only (R8): nobody else is ever a list's audience.
            {user.as_ref().is_some_and(|u| u.has(shared::Role::Investigator)).then(|| view! { <components::alerts::AlertTray/> })}
            {user.as_ref().is_some_and(|u| u.has(shared::Role::SystemAdmin)).then(|| view! { <components::outages::OutageTray/> })}
            {user.as_ref().filter(|u| u.has_any(&[shared::Role::Investigator, shared::Role::Supervisor])).map(|u| view! {
                <components::request_notices::RequestNotices
                    mine=u.has(shared::Role::Investigator) queue=u.has(shared::Role::Supervisor)/>
            })}
            <main>
                <Routes fallback=|| view! { <p class="notice">"There is no such page."</p> }>
                    <Route path=path!("/") view=routes::home::HomePage/>
                    <Route path=path!("/login") view=routes::login::LoginPage/>
                    <Route path=path!("/map") view=routes::map::MapPage/>
                    <Route path=path!("/admin/users") view=routes::users::UsersPage/>
                    <Route path=path!("/admin/cameras") view=routes::cameras::CamerasPage/>
                    <Route path=path!("/hotlists") view=routes::hotlists::HotlistsPage/>
                    <Route path=path!("/audit") view=routes::audit::AuditPage/>
                    <Route path=path!("/audit/sample") view=routes::sample::SamplePage/>
                    <Route path=path!("/audit/flags") view=routes::flags::FlagsPage/>
                    <Route path=path!("/requests") view=routes::requests::RequestsPage/>
                    <Route path=path!("/search") view=routes::search::SearchPage/>
                    <Route path=path!("/analysis") view=routes::analysis::AnalysisPage/>
                    <Route path=path!("/clones") view=routes::clones::ClonesPage/>
                    <Route path=path!("/locker") view=routes::locker::LockerPage/>
                    <Route path=path!("/statements") view=routes::statements::StatementsPage/>
                    <Route path=path!("/exports") view=routes::exports::ExportsPage/>
                    <Route path=path!("/oversight") view=routes::oversight::OversightPage/>
                    <Route path=path!("/registers") view=routes::registers::RegistersPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// Asks the user to confirm (browser only; elsewhere nothing is confirmed).
pub fn confirm(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().and_then(|w| w.confirm_with_message(question).ok()).unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        false
    }
}

/// The current instant: the browser's clock in the browser, the system's on the server.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    #[cfg(feature = "hydrate")]
    {
        chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::Utc::now()
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let document = web_sys::window().and_then(|w| w.document()).expect("a document");
    let data: ShellData = document
        .query_selector("meta[name=anpr-shell]")
        .ok()
        .flatten()
        .and_then(|m| m.get_attribute("content"))
        .and_then(|json| serde_json::from_str(&json).ok())
        .expect("the server renders the shell data");
    leptos::mount::hydrate_body(move || {
        provide_context(data.clone());
        view! { <App/> }
    });
    if let Some(body) = document.body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
