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
use leptos_router::Lazy;
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
                // Deferred: they run in order once the page is parsed, before the app (a module,
                // deferred too) hydrates, instead of holding up the parsing.
                <script defer src="/vendor/leaflet/leaflet.js"></script>
                <script defer src="/vendor/leaflet.markercluster/leaflet.markercluster.js"></script>
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
    // Shared with the trays: the browser provides them before hydrating.
    if use_context::<components::alerts::MapFocus>().is_none() {
        provide_context(components::alerts::MapFocus(RwSignal::new(None)));
    }
    if use_context::<components::alerts::AlertFeed>().is_none() {
        provide_context(components::alerts::AlertFeed(RwSignal::new(Vec::new())));
    }
    view! {
        <Title text="ANPR workbench"/>
        <Router>
            <components::nav::NavBar user=user.clone()/>
            // A signed-in user's trays, put here by the browser once the page is interactive.
            <div class="trays" id=TRAYS></div>
            <main>
                <Routes fallback=|| view! { <p class="notice">"There is no such page."</p> }>
                    <Route path=path!("/") view={Lazy::<routes::Home>::new()}/>
                    <Route path=path!("/login") view={Lazy::<routes::Login>::new()}/>
                    <Route path=path!("/map") view={Lazy::<routes::Map>::new()}/>
                    <Route path=path!("/admin/users") view={Lazy::<routes::Users>::new()}/>
                    <Route path=path!("/admin/cameras") view={Lazy::<routes::Cameras>::new()}/>
                    <Route path=path!("/hotlists") view={Lazy::<routes::Hotlists>::new()}/>
                    <Route path=path!("/audit") view={Lazy::<routes::Audit>::new()}/>
                    <Route path=path!("/audit/sample") view={Lazy::<routes::Sample>::new()}/>
                    <Route path=path!("/audit/flags") view={Lazy::<routes::Flags>::new()}/>
                    <Route path=path!("/requests") view={Lazy::<routes::Requests>::new()}/>
                    <Route path=path!("/search") view={Lazy::<routes::Search>::new()}/>
                    <Route path=path!("/analysis") view={Lazy::<routes::Analysis>::new()}/>
                    <Route path=path!("/clones") view={Lazy::<routes::Clones>::new()}/>
                    <Route path=path!("/locker") view={Lazy::<routes::Locker>::new()}/>
                    <Route path=path!("/statements") view={Lazy::<routes::Statements>::new()}/>
                    <Route path=path!("/exports") view={Lazy::<routes::Exports>::new()}/>
                    <Route path=path!("/oversight") view={Lazy::<routes::Oversight>::new()}/>
                    <Route path=path!("/registers") view={Lazy::<routes::Registers>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}

/// The element holding a signed-in user's trays.
const TRAYS: &str = "trays";

/// Puts in `place` what a signed-in user is told whatever page is open: alerts (to investigators
/// only, R8: nobody else is ever a list's audience), cameras' outages (system admins) and
/// requests decided or awaiting a decision. Browser only, once the page is interactive; the
/// trays fetch what they show. Their code is a piece of the WASM of its own (see `routes`), so
/// the sign-in page does without it.
#[cfg(feature = "hydrate")]
#[leptos::lazy]
fn mount_trays(
    place: web_sys::HtmlElement,
    data: ShellData,
    focus: components::alerts::MapFocus,
    feed: components::alerts::AlertFeed,
) {
    use shared::Role;
    let Some(user) = data.user.clone() else { return };
    leptos::mount::mount_to(place, move || {
        provide_context(data);
        provide_context(focus);
        provide_context(feed);
        view! {
            {user.has(Role::Investigator).then(|| view! { <components::alerts::AlertTray/> })}
            {user.has(Role::SystemAdmin).then(|| view! { <components::outages::OutageTray/> })}
            {user.has_any(&[Role::Investigator, Role::Supervisor]).then(|| view! {
                <components::request_notices::RequestNotices
                    mine=user.has(Role::Investigator) queue=user.has(Role::Supervisor)/>
            })}
        }
    })
    .forget();
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
    let focus = components::alerts::MapFocus(RwSignal::new(None));
    let feed = components::alerts::AlertFeed(RwSignal::new(Vec::new()));
    // Lazily: the first page's code is fetched before it hydrates; the body says when the page
    // is interactive; then come the trays.
    wasm_bindgen_futures::spawn_local(async move {
        use wasm_bindgen::JsCast;
        let Some(body) = document.body() else { return };
        let shell = data.clone();
        let app = leptos::mount::hydrate_from_async(body.clone(), move || {
            provide_context(shell);
            provide_context(focus);
            provide_context(feed);
            view! { <App/> }
        })
        .await;
        app.forget();
        let _ = body.set_attribute("data-hydrated", "true");
        let place = document.get_element_by_id(TRAYS).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let (Some(place), Some(_)) = (place, &data.user) {
            // After the page's own first work (a map's cameras, say), within a second.
            idle(1000).await;
            mount_trays(place, data, focus, feed).await;
        }
    });
}

/// Resolves when the browser is next idle, or after `timeout_ms` at the latest.
#[cfg(feature = "hydrate")]
async fn idle(timeout_ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let options = web_sys::IdleRequestOptions::new();
        options.set_timeout(timeout_ms);
        let asked = web_sys::window().map(|w| w.request_idle_callback_with_options(&resolve, &options));
        if !matches!(asked, Some(Ok(_))) {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
