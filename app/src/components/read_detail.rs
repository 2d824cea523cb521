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
            Ok(r) => view! {
                <div class="read-detail" data-testid="read-detail">
                    <h2 class="plate">{r.plate.clone()}</h2>
                    <div class="images">
                        {read_image(r.id, "plate", r.has_plate_image, "read")}
                        {read_image(r.id, "overview", r.has_overview_image, "read")}
                    </div>
                    <dl>
                        <dt>"Captured"</dt><dd>{r.captured_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</dd>
                        <dt>"Camera"</dt><dd>{r.camera_name.clone()}</dd>
                        <dt>"Confidence"</dt><dd>{format!("{:.0}%", r.confidence * 100.0)}</dd>
                        <dt>"Direction"</dt><dd>{r.direction.clone()}</dd>
                        <dt>"Vehicle"</dt><dd>{r.vehicle()}</dd>
                    </dl>
                </div>
            }
            .into_any(),
        })
    };
    view! {
        <Show when=move || selected.get().is_some() fallback=|| view! { <p class="notice">"Choose a read to see its images."</p> }>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>{body}</Transition>
        </Show>
    }
}

/// A read's image (`plate` or `overview`) if it has one, with the class `<prefix>-<kind>`.
/// Each fetch of it is audited by the server (R21).
pub fn read_image(id: i64, kind: &'static str, present: bool, prefix: &str) -> Option<impl IntoView> {
    present.then(|| {
        let src = format!("{}/reads/{id}/images/{kind}", api::BASE);
        view! { <img class=format!("{prefix}-{kind}") src=src alt=format!("{kind} image of read {id}")/> }
    })
}
