//! The live layers of the map (browser only): camera sites coloured by status (with their health
//! for system admins), the user's own alerts, and the reads of a live-time watch as the server
//! sends them, clustered where dense. Nothing else of a read reaches the map.

use crate::api;
use crate::components::map::MapHandle;
use crate::components::text::escape_html;
use leptos::prelude::*;
use shared::endpoints::{CAMERAS, CAMERA_HEALTH};
use shared::watch::WatchEnded;
use shared::{CameraHealth, CameraStatus, CameraView, ReadView};
use std::collections::VecDeque;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Reads kept on the map and in the list.
pub const KEEP: usize = 300;

#[wasm_bindgen]
extern "C" {
    /// `L.markerClusterGroup(options)` from leaflet.markercluster.
    #[wasm_bindgen(js_namespace = L, js_name = markerClusterGroup)]
    pub fn marker_cluster_group(options: &JsValue) -> leaflet::LayerGroup;

    /// `L.divIcon(options)` (the leaflet crate's `DivIcon` builds an `L.Icon`, which needs an
    /// image URL).
    #[wasm_bindgen(js_namespace = L, js_name = divIcon)]
    pub fn div_icon(options: &JsValue) -> JsValue;

    /// Any layer, seen as something with `bindTooltip(content)` (the leaflet crate's own
    /// binding calls a method Leaflet lacks). Leaflet takes a string as HTML: call it only
    /// through [`text_tooltip`].
    type TooltipLayer;
    #[wasm_bindgen(method, js_name = bindTooltip)]
    fn bind_tooltip(this: &TooltipLayer, content: &str);
}

/// Gives `layer` a tooltip showing `text` as text, never as HTML.
pub fn text_tooltip(layer: &JsValue, text: &str) {
    layer.unchecked_ref::<TooltipLayer>().bind_tooltip(&escape_html(text));
}

/// A JavaScript object of `pairs`, as Leaflet takes its options.
pub fn options(pairs: &[(&str, JsValue)]) -> JsValue {
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

fn dot(lat: f64, lon: f64, radius: i32, colour: &str, fill: &str, class: &str) -> leaflet::CircleMarker {
    leaflet::CircleMarker::new_with_options(
        &leaflet::LatLng::new(lat, lon),
        &options(&[
            ("radius", radius.into()),
            ("color", colour.into()),
            ("fillColor", fill.into()),
            ("fillOpacity", 0.7.into()),
            ("weight", 1.into()),
            ("className", class.into()),
        ]),
    )
}

/// A camera's marker, its tooltip `tip` made when first hovered (in a [`camera_layer`]).
fn camera_marker(c: &CameraView, silent: bool, tip: &str) -> leaflet::CircleMarker {
    let colour = status_colour(c.status);
    let edge = if silent { "#111111" } else { colour };
    let class = format!("camera camera-{}{}", c.status.as_str(), if silent { " camera-silent" } else { "" });
    let marker = dot(c.lat, c.lon, if silent { 6 } else { 4 }, edge, colour, &class);
    let _ = js_sys::Reflect::set(&marker, &TIP.into(), &tip.into());
    marker
}

/// The property of a camera's marker holding its tooltip's text.
const TIP: &str = "tip";

/// A layer for camera markers. Each marker's tooltip is made the first time the pointer rests
/// on it, by one handler for them all: hundreds of tooltips made up front would hold back the
/// map's first drawing.
fn camera_layer() -> leaflet::FeatureGroup {
    thread_local! {
        static HOVER: Closure<dyn Fn(JsValue)> = Closure::new(|event: JsValue| {
            let Ok(marker) = js_sys::Reflect::get(&event, &"propagatedFrom".into()) else { return };
            let has_tip =
                js_sys::Reflect::get(&marker, &"_tooltip".into()).is_ok_and(|t| !t.is_undefined() && !t.is_null());
            let tip = js_sys::Reflect::get(&marker, &TIP.into()).ok().and_then(|t| t.as_string());
            if let (false, Some(tip)) = (has_tip, tip) {
                text_tooltip(&marker, &tip);
                let at = marker.unchecked_ref::<leaflet::CircleMarker>().get_lat_lng();
                marker.unchecked_ref::<leaflet::Layer>().open_tooltip(&at);
            }
        });
    }
    let layer = leaflet::FeatureGroup::new();
    HOVER.with(|hover| layer.on("mouseover", hover.as_ref().unchecked_ref()));
    layer
}

/// Camera sites by status; for system admins, with each camera's health as figures, silent
/// ones ringed, and the health list filled in.
pub fn show_cameras(handle: &MapHandle, health: Option<RwSignal<Vec<CameraHealth>>>) {
    let map = handle.map.clone();
    leptos::task::spawn_local(async move {
        let layer = camera_layer();
        match health {
            Some(list) => match api::get::<Vec<CameraHealth>>(CAMERA_HEALTH).await {
                Ok(all) => {
                    for h in &all {
                        let last =
                            h.last_read_at.map(|t| t.format("%H:%M:%S UTC").to_string()).unwrap_or("none today".into());
                        let tip = format!(
                            "{} · {} · {} · {} reads in the last hour · last read {} · {} refused{}",
                            h.camera.name,
                            h.camera.zone,
                            h.camera.status.as_str(),
                            h.reads_last_hour,
                            last,
                            h.camera.refused_reads,
                            match (h.outage, h.silent) {
                                (Some(kind), _) => format!(" · OUTAGE ({})", kind.as_str()),
                                (None, true) => " · SILENT".to_owned(),
                                (None, false) => String::new(),
                            }
                        );
                        layer.add_layer(&camera_marker(&h.camera, h.silent, &tip));
                    }
                    list.set(all);
                }
                Err(e) => leptos::logging::error!("camera health: {e}"),
            },
            None => match api::get::<Vec<CameraView>>(CAMERAS).await {
                Ok(cameras) => {
                    for c in &cameras {
                        let tip = format!("{} · {} · {}", c.name, c.zone, c.status.as_str());
                        layer.add_layer(&camera_marker(c, false, &tip));
                    }
                }
                Err(e) => leptos::logging::error!("cameras: {e}"),
            },
        }
        layer.add_to(&map);
        if let Some(el) = map.get_container().dyn_ref::<web_sys::Element>() {
            let _ = el.set_attribute("data-live", "true");
        }
    });
}

/// How intensely each grid cell of about 1 km is watched (R23): a circle at its middle, larger
/// and darker the more its cameras read over the period, with its figures as a tooltip.
pub fn show_intensity(handle: &MapHandle, intensity: &shared::oversight::Intensity) -> leaflet::LayerGroup {
    let layer = leaflet::LayerGroup::new();
    let most = intensity.cells.iter().filter_map(|c| c.reads.exact()).max().unwrap_or(1).max(1) as f64;
    for cell in &intensity.cells {
        let share = cell.reads.exact().map_or(0.0, |n| n as f64 / most);
        let radius = 4 + (share.sqrt() * 16.0) as i32;
        let (lat, lon) = (cell.south + intensity.cell_lat / 2.0, cell.west + intensity.cell_lon / 2.0);
        let marker = dot(lat, lon, radius, "#5b2a86", "#8e5bc4", "intensity-cell");
        text_tooltip(&marker, &format!("{} cameras · {} reads", cell.cameras, cell.reads));
        layer.add_layer(&marker);
    }
    layer.add_to(&handle.map);
    layer
}

/// The user's own alerts (R8: those of the lists whose audience they are in), as markers that
/// follow the alert tray's list (fetched once, by the tray).
pub fn show_alerts(handle: &MapHandle) {
    let Some(crate::components::alerts::AlertFeed(feed)) = use_context() else { return };
    let map = handle.map.clone();
    let layer = leaflet::LayerGroup::new();
    layer.clone().add_to(&map);
    Effect::new(move |_| {
        layer.clear_layers();
        feed.with(|alerts| {
            for a in alerts.iter().take(KEEP) {
                let marker = dot(a.read.lat, a.read.lon, 7, "#7a0c0c", "#e5484d", "alert-marker");
                let tip = format!(
                    "{} · {} · {}",
                    a.read.plate,
                    a.hotlist_name,
                    a.read.captured_at.format("%Y-%m-%d %H:%M:%S UTC")
                );
                text_tooltip(&marker, &tip);
                layer.add_layer(&marker);
            }
        });
    });
}

/// A read's marker and the click handler that must live as long as it.
struct ReadMarker {
    marker: leaflet::CircleMarker,
    _on_click: Closure<dyn FnMut(JsValue)>,
}

/// A watch's stream on the map. Dropping it closes the stream and clears its reads.
pub struct LiveWatch {
    source: web_sys::EventSource,
    cluster: leaflet::LayerGroup,
    map: leaflet::Map,
    markers: StoredValue<VecDeque<ReadMarker>, LocalStorage>,
    _on_read: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_end: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl Drop for LiveWatch {
    fn drop(&mut self) {
        self.source.close();
        self.markers.update_value(|all| all.clear());
        self.map.remove_layer(&self.cluster);
    }
}

/// Opens watch `id`'s stream on `handle`'s map, filling `reads` (newest first), setting
/// `selected` when a read's marker is clicked and `ended` when the server ends the watch.
pub fn watch(
    handle: &MapHandle,
    id: i64,
    reads: RwSignal<VecDeque<ReadView>>,
    selected: RwSignal<Option<ReadView>>,
    ended: RwSignal<Option<WatchEnded>>,
) -> Option<LiveWatch> {
    let map = handle.map.clone();
    let cluster = marker_cluster_group(&options(&[
        ("maxClusterRadius", 40.into()),
        ("disableClusteringAtZoom", 16.into()),
        ("chunkedLoading", true.into()),
    ]));
    cluster.add_to(&map);
    let markers = StoredValue::new_local(VecDeque::<ReadMarker>::new());
    let source =
        match web_sys::EventSource::new(&api::url(&shared::endpoints::path(shared::endpoints::WATCH_LIVE, &[&id]))) {
            Ok(source) => source,
            Err(e) => {
                leptos::logging::error!("could not open the watch's stream: {e:?}");
                return None;
            }
        };
    let layer = cluster.clone();
    let on_read = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        let Some(read) = event.data().as_string().and_then(|text| serde_json::from_str::<ReadView>(&text).ok()) else {
            return;
        };
        // A read sent again (an engine's final replacing its preview) takes its place.
        if reads.with_untracked(|list| list.iter().any(|r| r.id == read.id)) {
            reads.update(|list| list.iter_mut().filter(|r| r.id == read.id).for_each(|r| *r = read.clone()));
            return;
        }
        let marker = dot(read.lat, read.lon, 6, "#0b5cad", "#3b8ee8", "read");
        text_tooltip(&marker, &format!("{} · {}", read.plate, read.camera_name));
        let chosen = read.clone();
        let on_click = Closure::<dyn FnMut(JsValue)>::new(move |_| selected.set(Some(chosen.clone())));
        marker.on("click", on_click.as_ref().unchecked_ref());
        layer.add_layer(&marker);
        reads.update(|list| {
            list.push_front(read);
            list.truncate(KEEP);
        });
        markers.update_value(|all| {
            all.push_front(ReadMarker { marker, _on_click: on_click });
            while all.len() > KEEP {
                if let Some(old) = all.pop_back() {
                    layer.remove_layer(&old.marker);
                }
            }
        });
    });
    let closing = source.clone();
    let on_end = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        closing.close();
        ended.set(event.data().as_string().and_then(|text| serde_json::from_str::<WatchEnded>(&text).ok()));
    });
    let _ = source.add_event_listener_with_callback("read", on_read.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("end", on_end.as_ref().unchecked_ref());
    Some(LiveWatch { source, cluster, map, markers, _on_read: on_read, _on_end: on_end })
}

/// Click handlers of pickable camera markers, kept as long as their map is open.
pub struct CameraPicks {
    _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

/// Cameras as markers coloured by status that answer a click with their camera, the map fitted
/// to them (picking cameras on the map, and finding one on the cameras page).
pub fn pickable_cameras(handle: &MapHandle, cameras: &[CameraView], on_pick: Callback<CameraView>) -> CameraPicks {
    let layer = camera_layer();
    let mut handlers = Vec::with_capacity(cameras.len());
    for c in cameras {
        let tip = format!("{} · {} · feed id {} · {}", c.name, c.zone, c.external_id, c.status.as_str());
        let marker = camera_marker(c, false, &tip);
        let chosen = c.clone();
        let on_click = Closure::<dyn FnMut(JsValue)>::new(move |_| on_pick.run(chosen.clone()));
        marker.on("click", on_click.as_ref().unchecked_ref());
        handlers.push(on_click);
        layer.add_layer(&marker);
    }
    layer.add_to(&handle.map);
    if !cameras.is_empty() {
        let points: js_sys::Array = cameras.iter().map(|c| JsValue::from(leaflet::LatLng::new(c.lat, c.lon))).collect();
        let padding = js_sys::Array::of2(&20.into(), &20.into());
        handle.map.fit_bounds_with_options(
            &leaflet::LatLngBounds::new_from_list(&points),
            &options(&[("padding", padding.into()), ("maxZoom", 15.into())]),
        );
    }
    if let Some(el) = handle.map.get_container().dyn_ref::<web_sys::Element>() {
        let _ = el.set_attribute("data-cameras", &cameras.len().to_string());
    }
    CameraPicks { _handlers: handlers }
}
