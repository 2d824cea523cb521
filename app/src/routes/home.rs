use crate::components::nav::sections_for;
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let user = crate::signed_in_user();
    let name = user.as_ref().map(|u| u.display_name.clone()).unwrap_or_default();
    let sections = user.as_ref().map(sections_for).unwrap_or_default();
    let empty = sections.is_empty();
    view! {
        <section class="page">
            <h1>"Welcome, " {name}</h1>
            <ul class="cards">
                {sections
                    .into_iter()
                    .map(|(href, label)| view! { <li><a href=href>{label}</a></li> })
                    .collect_view()}
            </ul>
            <Show when=move || empty>
                <p class="notice">"Your work for this role arrives with the next capabilities of the workbench."</p>
            </Show>
        </section>
    }
}
