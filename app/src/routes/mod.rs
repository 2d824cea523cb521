//! The pages. Each is loaded lazily (`cargo leptos build --split`): the browser fetches the code
//! of the pages it opens, not of every page, so the first one hydrates sooner on a slow network.

pub mod analysis;
pub mod audit;
pub mod cameras;
pub mod clones;
pub mod exports;
pub mod flags;
pub mod home;
pub mod hotlists;
pub mod locker;
pub mod login;
pub mod map;
pub mod oversight;
pub mod registers;
pub mod requests;
pub mod sample;
pub mod search;
pub mod statements;
pub mod users;

/// Routes whose pages' code is one piece of the WASM, fetched when the first of them is opened
/// (see the module's note). Pages go together when the same people open them together: fewer,
/// larger pieces load faster than many small ones. Each group names the function that fetches
/// its piece (`#[lazy]` makes it in the browser's build: `__preload_` and the group's name).
macro_rules! lazy_pages {
    ($($group:ident, $preload:ident { $($route:ident => $module:ident::$page:ident),+ $(,)? })+) => {$(
        #[leptos::lazy]
        fn $group(route: &'static str) -> leptos::prelude::AnyView {
            use leptos::prelude::*;
            match route {
                $(stringify!($route) => {
                    use $module::$page;
                    view! { <$page/> }.into_any()
                })+
                _ => ().into_any(),
            }
        }

        $(
            #[derive(Debug)]
            pub struct $route;

            impl leptos_router::LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> leptos::prelude::AnyView {
                    $group(stringify!($route)).await
                }

                // The router fetches the piece before it hydrates or shows the page.
                async fn preload() {
                    #[cfg(target_arch = "wasm32")]
                    $preload().await;
                }
            }
        )+
    )+};
}

lazy_pages! {
    sign_in, __preload_sign_in { Login => login::LoginPage }
    start, __preload_start { Home => home::HomePage }
    live_map, __preload_live_map { Map => map::MapPage }
    results, __preload_results { Search => search::SearchPage, Analysis => analysis::AnalysisPage, Clones => clones::ClonesPage }
    evidence, __preload_evidence { Locker => locker::LockerPage, Statements => statements::StatementsPage, Exports => exports::ExportsPage }
    requests_page, __preload_requests_page { Requests => requests::RequestsPage }
    administration, __preload_administration {
        Users => users::UsersPage,
        Cameras => cameras::CamerasPage,
        Hotlists => hotlists::HotlistsPage,
        Registers => registers::RegistersPage,
    }
    oversight_pages, __preload_oversight_pages {
        Audit => audit::AuditPage,
        Sample => sample::SamplePage,
        Flags => flags::FlagsPage,
        Oversight => oversight::OversightPage,
    }
}
