//! Cloned-plate indicators (R17) among a search's results: one plate seen at two places further
//! apart than a vehicle could travel in the time between, both sightings side by side with their
//! images. Pairs are listed only under the grant of the search that returned both sightings.

use crate::api;
use crate::components::verify::read_image;
use leptos::prelude::*;
use shared::endpoints::{path, SEARCH_CLONES};
use shared::verification::ClonePair;
use shared::ReadView;

#[component]
pub fn ClonesPage() -> impl IntoView {
    if let Err(refused) = crate::session::page_user("/clones") {
        return refused;
    }
    let query = leptos_router::hooks::use_query_map();
    let search = move || query.with(|q| q.get("search").and_then(|s| s.parse::<i64>().ok()));
    let pairs = LocalResource::new(move || {
        let search = search();
        async move {
            match search {
                Some(id) => Some(api::get::<Vec<ClonePair>>(&path(SEARCH_CLONES, &[&id])).await),
                None => None,
            }
        }
    });
    view! {
        <section class="page">
            <h1>"Cloned-plate indicators"</h1>
            <p class="notice">"Pairs of sightings of one plate that a single vehicle could not have made, newest first, both among the results of one of your searches."</p>
            <Show when=move || search().is_none()>
                <p class="notice" data-testid="clones-no-search">"Run a search under an approved request, then open its cloned-plate indicators from the results."</p>
            </Show>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || pairs.get().flatten().map(|p| match p {
                    Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="notice">"No pairs flagged."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="stack" data-testid="clone-pairs">
                            {list.into_iter().map(|pair| view! {
                                <article class="panel clone-pair">
                                    <h3>
                                        <span class="plate">{pair.plate.clone()}</span>
                                        ": " {pair.gap()}
                                    </h3>
                                    <div class="side-by-side">
                                        <Sighting search_id=search().unwrap_or_default() read=pair.first.clone()/>
                                        <Sighting search_id=search().unwrap_or_default() read=pair.second.clone()/>
                                    </div>
                                </article>
                            }).collect_view()}
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn Sighting(search_id: i64, read: ReadView) -> impl IntoView {
    view! {
        <div class="sighting">
            {read_image(search_id, read.id, "plate", read.has_plate_image, "verify")}
            {read_image(search_id, read.id, "overview", read.has_overview_image, "verify")}
            <p><crate::components::time::Time at=read.captured_at/> " at " {read.camera_name.clone()}</p>
            <p>{read.vehicle()}</p>
        </div>
    }
}
