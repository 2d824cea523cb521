//! Choosing cameras by name, zone or the feed's own id, never by the internal id the API takes.
//! The chosen cameras are kept as the comma-separated ids the forms already send; the picker
//! shows them as named chips and offers matches as the user types.

use crate::api;
use crate::components::map::CameraMap;
use leptos::prelude::*;
use shared::endpoints::CAMERAS;
use shared::CameraView;

/// How many matches are offered at once.
const OFFERED: usize = 8;

fn ids_of(raw: &str) -> Vec<i64> {
    raw.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

fn matches(camera: &CameraView, typed: &str) -> bool {
    let typed = typed.trim().to_lowercase();
    !typed.is_empty()
        && [&camera.name, &camera.zone, &camera.external_id].iter().any(|field| field.to_lowercase().contains(&typed))
}

/// A camera chooser writing the chosen ids into `ids`; `label` names the field.
#[component]
pub fn CameraPicker(ids: RwSignal<String>, #[prop(into)] label: String, #[prop(into)] name: String) -> impl IntoView {
    let cameras = LocalResource::new(|| api::get::<Vec<CameraView>>(CAMERAS));
    let typed = RwSignal::new(String::new());
    let all = move || cameras.get().and_then(Result::ok).unwrap_or_default();
    let add = move |id: i64| {
        ids.update(|raw| {
            let mut chosen = ids_of(raw);
            if !chosen.contains(&id) {
                chosen.push(id);
            }
            *raw = chosen.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        });
        typed.set(String::new());
    };
    let remove = move |id: i64| {
        ids.update(|raw| {
            *raw = ids_of(raw).into_iter().filter(|c| *c != id).map(|c| c.to_string()).collect::<Vec<_>>().join(",");
        });
    };
    let chips = move || {
        let known = all();
        ids_of(&ids.get())
            .into_iter()
            .map(|id| {
                let shown = known
                    .iter()
                    .find(|c| c.id == id)
                    .map(|c| format!("{} ({})", c.name, c.zone))
                    .unwrap_or_else(|| format!("camera {id}"));
                view! {
                    <span class="chip" data-camera=id.to_string()>
                        {shown}
                        <button type="button" class="small link" aria-label="Remove" on:click=move |_| remove(id)>"×"</button>
                    </span>
                }
            })
            .collect_view()
    };
    let offers = move || {
        let typed = typed.get();
        let chosen = ids_of(&ids.get_untracked());
        let found: Vec<CameraView> =
            all().into_iter().filter(|c| matches(c, &typed) && !chosen.contains(&c.id)).take(OFFERED).collect();
        (!found.is_empty()).then(|| {
            view! {
                <ul class="offers" role="listbox">
                    {found.into_iter().map(|c| {
                        let id = c.id;
                        view! {
                            <li role="option">
                                <button type="button" class="link" on:click=move |_| add(id)>
                                    {c.name.clone()} <small>" · " {c.zone.clone()} " · feed id " {c.external_id.clone()} " · " {c.status.as_str()}</small>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
        })
    };
    let on_map = RwSignal::new(false);
    let testid = format!("{name}-picker");
    view! {
        <div class="camera-picker" data-testid=testid>
            <label>{label} <input name=name placeholder="type a camera's name, zone or feed id" bind:value=typed autocomplete="off"/></label>
            {offers}
            <div class="chips">{chips}</div>
            <button type="button" class="link" on:click=move |_| on_map.update(|m| *m = !*m)>
                {move || if on_map.get() { "Hide the map" } else { "Pick on the map" }}
            </button>
            {move || (on_map.get() && cameras.get().is_some()).then(|| {
                view! { <CameraMap cameras=all() on_pick=Callback::new(move |c: CameraView| add(c.id))/> }
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_finds_cameras_by_name_zone_or_feed_id() {
        let camera: CameraView = serde_json::from_value(serde_json::json!({
            "id": 7, "feed_id": 1, "external_id": "CCZ-0042", "name": "Aldgate East", "lat": 51.5, "lon": -0.07,
            "bearing": null, "zone": "ccz", "status": "approved", "status_changed_by": "admin",
            "status_changed_at": "2026-01-01T00:00:00Z", "status_reason": "board", "refused_reads": 0
        }))
        .unwrap();
        for typed in ["aldgate", "CCZ", "0042", " east "] {
            assert!(matches(&camera, typed), "{typed}");
        }
        assert!(!matches(&camera, "") && !matches(&camera, "lez"));
        assert_eq!(ids_of("3, 7,,x,9"), vec![3, 7, 9]);
    }
}
