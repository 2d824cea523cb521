use crate::api;
use leptos::prelude::*;
use shared::ReadView;

/// One read with its plate patch and overview. Opening it asks the server for the read, so the
/// view is recorded (R21); each image is fetched, and recorded, on its own.
#[component]
pub fn ReadDetail(selected: RwSignal<Option<ReadView>>) -> impl IntoView {
    let detail = LocalResource::new(move || {
        let id = selected.get().map(|r| r.id);
        async move {
            match id {
                Some(id) => Some(api::get::<ReadView>(&format!("/reads/{id}")).await),
                None => None,
            }
        }
    });
    let body = move || {
        detail.get().flatten().map(|answer| match answer {
            Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            Ok(r) => {
                let vehicle = [r.colour.clone(), r.make.clone(), r.model.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                let image = |kind: &str, present: bool| {
                    present.then(|| {
                        let src = format!("{}/reads/{}/images/{kind}", api::BASE, r.id);
                        let alt = format!("{kind} image of read {}", r.id);
                        view! { <img class=format!("read-{kind}") src=src alt=alt/> }
                    })
                };
                view! {
                    <div class="read-detail" data-testid="read-detail">
                        <h2 class="plate">{r.plate.clone()}</h2>
                        <div class="images">
                            {image("plate", r.has_plate_image)}
                            {image("overview", r.has_overview_image)}
                        </div>
                        <dl>
                            <dt>"Captured"</dt><dd>{r.captured_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</dd>
                            <dt>"Camera"</dt><dd>{r.camera_name.clone()}</dd>
                            <dt>"Confidence"</dt><dd>{format!("{:.0}%", r.confidence * 100.0)}</dd>
                            <dt>"Direction"</dt><dd>{r.direction.clone()}</dd>
                            <dt>"Vehicle"</dt><dd>{vehicle}</dd>
                        </dl>
                    </div>
                }
                .into_any()
            }
        })
    };
    view! {
        <Show when=move || selected.get().is_some() fallback=|| view! { <p class="notice">"Choose a read to see its images."</p> }>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>{body}</Transition>
        </Show>
    }
}
