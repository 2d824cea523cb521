use crate::components::map::{LeafletMap, MapHandle};
use crate::components::read_detail::ReadDetail;
use crate::components::verify::VerifyPanel;
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
    let investigator = shell.user.as_ref().is_some_and(|u| u.has(Role::Investigator));
    let reads = RwSignal::new(VecDeque::<ReadView>::new());
    let selected = RwSignal::new(None::<ReadView>);
    // Investigators check reads as they arrive (R15): the next read is the next older one.
    let step = Callback::new(move |delta: i64| {
        let current = selected.with_untracked(|s| s.as_ref().map(|r| r.id));
        let next = reads.with_untracked(|list| {
            let at = current.and_then(|id| list.iter().position(|r| r.id == id))?;
            let to = (at as i64 + delta).clamp(0, list.len() as i64 - 1) as usize;
            list.get(to).cloned()
        });
        if next.is_some() {
            selected.set(next);
        }
    });
    let recorded = Callback::new(move |read: ReadView| {
        reads.update(|list| {
            if let Some(slot) = list.iter_mut().find(|r| r.id == read.id) {
                *slot = read;
            }
        });
    });
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
                {if investigator {
                    view! { <VerifyPanel selected=selected step=step recorded=recorded/> }.into_any()
                } else {
                    view! { <ReadDetail selected=selected/> }.into_any()
                }}
                <h2>"Newest reads"</h2>
                <table class="grid reads" data-testid="newest-reads">
                    <thead><tr><th>"Plate"</th><th>"Time (UTC)"</th><th>"Camera"</th></tr></thead>
                    <tbody>
                        <For each=move || reads.get() key=|r| r.id let:r>
                            {
                                let chosen = r.clone();
                                view! {
                                    <tr class="pick" class:selected=move || selected.with(|s| s.as_ref().is_some_and(|s| s.id == chosen.id))
                                        on:click={let chosen = chosen.clone(); move |_| selected.set(Some(chosen.clone()))}>
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
