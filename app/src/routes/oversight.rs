//! The year's figures for the annual report to oversight bodies (R23), downloadable as CSV.

use crate::api;
use crate::components::loaded::Loaded;
use chrono::Datelike;
use leptos::prelude::*;
use shared::endpoints::{path, OVERSIGHT_YEAR, OVERSIGHT_YEAR_CSV};
use shared::oversight::Figures;

#[component]
pub fn OversightPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/oversight") {
        return refused;
    }
    let year = RwSignal::new(crate::now().year());
    let figures = LocalResource::new(move || {
        let y = year.get();
        async move { api::get::<Figures>(&path(OVERSIGHT_YEAR, &[&y])).await }
    });
    view! {
        <section class="page">
            <h1>"Figures for oversight"</h1>
            <div class="row">
                <label>"Year" <input type="number" name="year" min="2000" max="2100" prop:value=move || year.get().to_string()
                    on:change=move |ev| if let Ok(y) = event_target_value(&ev).parse() { year.set(y) }/></label>
                <a class="button" href=move || api::url(&path(OVERSIGHT_YEAR_CSV, &[&year.get()])) download="">"Download CSV"</a>
            </div>
            <p class="notice">"Breaches and subject access requests are recorded outside the workbench and are not counted here."</p>
            <Loaded what=figures let:f>
                <table class="grid" data-testid="figures">
                    <thead><tr><th>"Section"</th><th>"What"</th><th>"Count"</th></tr></thead>
                    <tbody>{f.figures.into_iter().map(|x| view! {
                        <tr><td>{x.section}</td><td>{x.item}</td><td class="number">{x.count.to_string()}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            </Loaded>
        </section>
    }
    .into_any()
}
