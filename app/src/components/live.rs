//! The live layers of the map (browser only): camera sites coloured by status, and reads as
//! they arrive over the server's event stream, clustered where dense.

use crate::api;
use crate::components::map::MapHandle;
use leptos::prelude::*;
use shared::{CameraStatus, CameraView, ReadView};
use std::collections::VecDeque;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Reads kept on the map and in the list.
pub const KEEP: usize = 300;

#[wasm_bindgen]
extern "C" {
    /// `L.markerClusterGroup(options)` from leaflet.markercluster.
    #[wasm_bindgen(js_namespace = L, js_name = markerClusterGroup)]
    fn marker_cluster_group(options: &JsValue) -> leaflet::LayerGroup;

    /// Any layer, seen as something with `bindTooltip(text)` (the leaflet crate's own binding
    /// calls a method Leaflet lacks).
    type TooltipLayer;
    #[wasm_bindgen(method, js_name = bindTooltip)]
    fn bind_tooltip(this: &TooltipLayer, content: &str);
}

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in pairs {
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

fn status_colour(status: CameraStatus) -> &'static str {
    match status {
        CameraStatus::Approved => "#1a7f37",
        CameraStatus::Pending => "#d4a017",
        CameraStatus::Suspended => "#b42318",
    }
}

fn add_cameras(map: &leaflet::Map, cameras: &[CameraView]) {
    let layer = leaflet::LayerGroup::new();
    for c in cameras {
        let colour = status_colour(c.status);
        let marker = leaflet::CircleMarker::new_with_options(
            &leaflet::LatLng::new(c.lat, c.lon),
            &options(&[
                ("radius", 4.into()),
                ("color", colour.into()),
                ("fillColor", colour.into()),
                ("fillOpacity", 0.6.into()),
                ("weight", 1.into()),
                ("className", format!("camera camera-{}", c.status.as_str()).into()),
            ]),
        );
        let tip = format!("{} · {} · {}", c.name, c.zone, c.status.as_str());
        marker.unchecked_ref::<TooltipLayer>().bind_tooltip(&tip);
        layer.add_layer(&marker);
    }
    layer.add_to(map);
}

/// A read's marker and the click handler that must live as long as it.
struct ReadMarker {
    id: i64,
    marker: leaflet::CircleMarker,
    _on_click: Closure<dyn FnMut(JsValue)>,
}

/// Opens the live layers on `handle`'s map, filling `reads` (newest first) and setting
/// `selected` when a read's marker is clicked.
pub fn start(handle: MapHandle, reads: RwSignal<VecDeque<ReadView>>, selected: RwSignal<Option<ReadView>>) {
    let map = handle.map;
    let cluster = marker_cluster_group(&options(&[
        ("maxClusterRadius", 40.into()),
        ("disableClusteringAtZoom", 16.into()),
        ("chunkedLoading", true.into()),
    ]));
    cluster.add_to(&map);
    let markers = StoredValue::new_local(VecDeque::<ReadMarker>::new());

    let add = {
        let cluster = cluster.clone();
        move |read: ReadView| {
            let marker = leaflet::CircleMarker::new_with_options(
                &leaflet::LatLng::new(read.lat, read.lon),
                &options(&[
                    ("radius", 6.into()),
                    ("color", "#0b5cad".into()),
                    ("fillColor", "#3b8ee8".into()),
                    ("fillOpacity", 0.8.into()),
                    ("weight", 1.into()),
                    ("className", "read".into()),
                ]),
            );
            let chosen = read.clone();
            let on_click = Closure::<dyn FnMut(JsValue)>::new(move |_| selected.set(Some(chosen.clone())));
            marker.on("click", on_click.as_ref().unchecked_ref());
            cluster.add_layer(&marker);
            let id = read.id;
            reads.update(|list| {
                list.push_front(read);
                list.truncate(KEEP);
            });
            markers.update_value(|all| {
                all.push_front(ReadMarker { id, marker, _on_click: on_click });
                while all.len() > KEEP {
                    if let Some(old) = all.pop_back() {
                        cluster.remove_layer(&old.marker);
                    }
                }
            });
        }
    };

    let map_for_cameras = map.clone();
    let add_initial = add.clone();
    leptos::task::spawn_local(async move {
        match api::get::<Vec<CameraView>>("/cameras").await {
            Ok(cameras) => add_cameras(&map_for_cameras, &cameras),
            Err(e) => leptos::logging::error!("cameras: {e}"),
        }
        match api::get::<Vec<ReadView>>(&format!("/reads/recent?limit={KEEP}")).await {
            Ok(recent) => recent.into_iter().rev().for_each(&add_initial),
            Err(e) => leptos::logging::error!("recent reads: {e}"),
        }
        if let Some(el) = map_for_cameras.get_container().dyn_ref::<web_sys::Element>() {
            let _ = el.set_attribute("data-live", "true");
        }
    });

    match web_sys::EventSource::new(&format!("{}/reads/live", api::BASE)) {
        Ok(source) => {
            let on_read = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                let parsed = event.data().as_string().and_then(|text| serde_json::from_str::<ReadView>(&text).ok());
                if let Some(read) = parsed {
                    // The stream may repeat what the first fill already showed.
                    if !markers.with_value(|all| all.iter().any(|m| m.id == read.id)) {
                        add(read);
                    }
                }
            });
            let _ = source.add_event_listener_with_callback("read", on_read.as_ref().unchecked_ref());
            let source = StoredValue::new_local(Some((source, on_read)));
            on_cleanup(move || {
                source.update_value(|s| {
                    if let Some((source, _)) = s.take() {
                        source.close();
                    }
                })
            });
        }
        Err(e) => leptos::logging::error!("could not open the live stream: {e:?}"),
    }
}
