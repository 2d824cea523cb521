//! The one way a page shows something it fetches: "Loading…" until it arrives, the server's
//! own words if it was refused, and what the page makes of it otherwise.

use leptos::prelude::*;

/// `what`, once fetched, made into a view by `children` (`<Loaded what=list let:items>…`).
#[component]
pub fn Loaded<T, V, F>(what: LocalResource<Result<T, String>>, children: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || what.get().map(|answer| match answer {
                Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                Ok(value) => children(value).into_any(),
            })}
        </Transition>
    }
}

/// A fetched list: as [`Loaded`], with `empty` said in place of an empty list.
#[component]
pub fn LoadedList<T, V, F>(
    what: LocalResource<Result<Vec<T>, String>>,
    empty: &'static str,
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(Vec<T>) -> V + Send + Sync + 'static,
{
    view! {
        <Loaded what=what let:list>
            {if list.is_empty() { view! { <p class="notice">{empty}</p> }.into_any() } else { children(list).into_any() }}
        </Loaded>
    }
}
