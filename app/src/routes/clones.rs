//! Cloned-plate indicators (R17): one plate seen at two places further apart than a vehicle
//! could travel in the time between, both sightings side by side with their images.

use crate::api;
use crate::components::read_detail::read_image;
use crate::routes::NotPermitted;
use leptos::prelude::*;
use shared::verification::ClonePair;
use shared::{ReadView, Role};

#[component]
pub fn ClonesPage() -> impl IntoView {
    if !crate::signed_in_user().is_some_and(|u| u.has(Role::Investigator)) {
        return view! { <NotPermitted role=Role::Investigator/> }.into_any();
    }
    let pairs = LocalResource::new(|| api::get::<Vec<ClonePair>>("/clones"));
    view! {
        <section class="page">
            <h1>"Cloned-plate indicators"</h1>
            <p class="notice">"Pairs of sightings of one plate that a single vehicle could not have made, newest first, within your reach."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || pairs.get().map(|p| match p {
                    Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="notice">"No pairs flagged."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="stack" data-testid="clone-pairs">
                            {list.into_iter().map(|pair| view! {
                                <article class="panel clone-pair">
                                    <h3>
                                        <span class="plate">{pair.plate.clone()}</span>
                                        {format!(
                                            ": {:.1} km in {}{}",
                                            pair.distance_km,
                                            if pair.minutes < 2.0 { format!("{:.0} s", pair.minutes * 60.0) } else { format!("{:.0} min", pair.minutes) },
                                            pair.speed_kmh.map(|s| format!(" — {s:.0} km/h needed")).unwrap_or_else(|| " — at the same instant".into())
                                        )}
                                    </h3>
                                    <div class="side-by-side">
                                        <Sighting read=pair.first.clone()/>
                                        <Sighting read=pair.second.clone()/>
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
fn Sighting(read: ReadView) -> impl IntoView {
    view! {
        <div class="sighting">
            {read_image(read.id, "plate", read.has_plate_image, "verify")}
            {read_image(read.id, "overview", read.has_overview_image, "verify")}
            <p>{read.captured_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()} " at " {read.camera_name.clone()}</p>
            <p>{read.vehicle()}</p>
        </div>
    }
}
