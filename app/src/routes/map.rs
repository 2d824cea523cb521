use crate::components::map::{LeafletMap, MapHandle};
use crate::components::read_detail::ReadDetail;
use crate::routes::NotPermitted;
use leptos::prelude::*;
use shared::{ReadView, Role, ShellData};
use std::collections::VecDeque;

/// The live map: camera sites by status, the newest reads as they arrive, a read's detail.
#[component]
pub fn MapPage() -> impl IntoView {
    let shell = use_context::<ShellData>();
    let allowed = |s: &ShellData| {
        s.user.as_ref().is_some_and(|u| u.has_any(&[Role::Investigator, Role::HotlistAdmin, Role::SystemAdmin]))
    };
    let Some(shell) = shell.filter(allowed) else {
        return view! { <NotPermitted role=Role::Investigator/> }.into_any();
    };
    let reads = RwSignal::new(VecDeque::<ReadView>::new());
    let selected = RwSignal::new(None::<ReadView>);
    let on_ready = move |handle: MapHandle| {
        #[cfg(feature = "hydrate")]
        crate::components::live::start(handle, reads, selected);
        #[cfg(not(feature = "hydrate"))]
        let _ = handle;
    };
    view! {
        <section class="page map-page">
            <LeafletMap settings=shell.map.clone() on_ready=on_ready/>
            <aside class="side">
                <ReadDetail selected=selected/>
                <h2>"Newest reads"</h2>
                <table class="grid reads" data-testid="newest-reads">
                    <thead><tr><th>"Plate"</th><th>"Time (UTC)"</th><th>"Camera"</th></tr></thead>
                    <tbody>
                        <For each=move || reads.get() key=|r| r.id let:r>
                            {
                                let chosen = r.clone();
                                view! {
                                    <tr class="pick" on:click=move |_| selected.set(Some(chosen.clone()))>
                                        <td class="plate">{r.plate.clone()}</td>
                                        <td>{r.captured_at.format("%H:%M:%S").to_string()}</td>
                                        <td>{r.camera_name.clone()}</td>
                                    </tr>
                                }
                            }
                        </For>
                    </tbody>
                </table>
            </aside>
        </section>
    }
    .into_any()
}
