//! The outage tray for system admins: cameras silent for longer than is usual for them, or
//! refusing reads, as the server records them (R3, R23), looked for again every half minute.
//! Each names its camera, feed and since when, and links to the camera on the map.

use crate::api;
use crate::components::time::utc as when;
use leptos::prelude::*;
use shared::cameras::{OutageView, OutagesQuery};
use shared::endpoints::{with_query, CAMERA_OUTAGES};

const EVERY_SECONDS: u64 = 30;

#[component]
pub fn OutageTray() -> impl IntoView {
    let open = RwSignal::new(Vec::<OutageView>::new());
    let shown = RwSignal::new(true);
    let check = move || {
        leptos::task::spawn_local(async move {
            let query = OutagesQuery { open: true, ..Default::default() };
            if let Ok(list) = api::get::<Vec<OutageView>>(&with_query(CAMERA_OUTAGES, &query)).await {
                open.set(list);
            }
        });
    };
    api::poll(EVERY_SECONDS, check);
    view! {
        <Show when=move || !open.with(Vec::is_empty)>
            <aside class="alert-tray outage-tray" data-testid="outage-tray">
                <h2>
                    {move || format!("Camera outages: {}", open.with(Vec::len))}
                    <button class="small" aria-expanded=move || shown.get().to_string()
                        on:click=move |_| shown.update(|s| *s = !*s)>
                        {move || if shown.get() { "Hide" } else { "Show" }}
                    </button>
                </h2>
                <Show when=move || shown.get()>
                    <ul class="outages">
                        <For each=move || open.get() key=|o| o.id let:o>
                            <li>
                                <strong>{o.camera.clone()}</strong>
                                {format!(" ({}, {}) ", o.feed, o.zone)}
                                {match o.kind {
                                    shared::cameras::OutageKind::Silent => format!(
                                        "silent since {} ({:.0} reads usual since)", when(o.started_at), o.expected_reads),
                                    shared::cameras::OutageKind::Refusing => format!(
                                        "refusing reads since {} ({} refused)", when(o.started_at), o.refused_reads),
                                }}
                                " " <a href="/map">"Map"</a>
                            </li>
                        </For>
                    </ul>
                </Show>
            </aside>
        </Show>
    }
}
