//! Search results on the map (browser only): each vehicle's sightings joined in time order as a
//! journey, drawn up to the slider's position; an area search's whole result as counts per
//! camera, clustered; and a rectangle drawn by two clicks.

use crate::components::live::{div_icon, marker_cluster_group, options, text_tooltip};
use crate::components::map::MapHandle;
use leptos::prelude::*;
use shared::requests::Area;
use shared::search::CameraCount;
use shared::ReadView;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const COLOURS: [&str; 6] = ["#0b5cad", "#b42318", "#1a7f37", "#7a3db8", "#c4661f", "#0f7b8a"];

/// The journey layer of a map and the click handlers its markers need.
pub struct Journey {
    map: leaflet::Map,
    group: leaflet::LayerGroup,
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl Journey {
    pub fn new(handle: &MapHandle) -> Journey {
        let group = leaflet::LayerGroup::new();
        group.add_to(&handle.map);
        Journey { map: handle.map.clone(), group, handlers: Vec::new() }
    }

    /// Draws `reads` (in time order) up to and including index `upto`, one line per plate;
    /// the newest drawn sighting is marked. Fits the map to all reads when `fit` is set.
    pub fn draw(&mut self, reads: &[ReadView], upto: usize, fit: bool, selected: RwSignal<Option<ReadView>>) {
        self.group.clear_layers();
        self.handlers.clear();
        let shown = &reads[..reads.len().min(upto + 1)];
        let mut by_plate: BTreeMap<&str, Vec<&ReadView>> = BTreeMap::new();
        for r in shown {
            by_plate.entry(r.plate.as_str()).or_default().push(r);
        }
        for (i, sightings) in by_plate.values().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let points: js_sys::Array =
                sightings.iter().map(|r| JsValue::from(leaflet::LatLng::new(r.lat, r.lon))).collect();
            // Vehicles that drove the same road stay apart: the first a broad line, each after
            // it narrower and dashed over it.
            let line = leaflet::Polyline::new_with_options(
                &points,
                &options(&[
                    ("color", colour.into()),
                    ("weight", if i == 0 { 6 } else { 3 }.into()),
                    ("dashArray", if i == 0 { "" } else { "8 6" }.into()),
                    ("opacity", 0.75.into()),
                    ("className", "journey".into()),
                ])
                .unchecked_into(),
            );
            self.group.add_layer(&line);
            for (n, r) in sightings.iter().enumerate() {
                self.marker(r, n + 1, colour, false, selected);
            }
        }
        if let Some(last) = shown.last() {
            let n = shown.iter().filter(|r| r.plate == last.plate).count();
            self.marker(last, n, "#111111", true, selected);
        }
        if fit && !reads.is_empty() {
            let points: js_sys::Array =
                reads.iter().map(|r| JsValue::from(leaflet::LatLng::new(r.lat, r.lon))).collect();
            let bounds = leaflet::LatLngBounds::new_from_list(&points);
            self.map.fit_bounds_with_options(
                &bounds,
                &options(&[("padding", js_sys::Array::of2(&40.into(), &40.into()).into()), ("maxZoom", 15.into())]),
            );
        }
    }

    /// Sighting `n` (from 1) of its plate's journey: numbered, with its time and camera on
    /// hover, and selected (its images and verdicts shown) by a click.
    fn marker(&mut self, r: &ReadView, n: usize, colour: &str, current: bool, selected: RwSignal<Option<ReadView>>) {
        let marker = leaflet::CircleMarker::new_with_options(
            &leaflet::LatLng::new(r.lat, r.lon),
            &options(&[
                ("radius", if current { 9 } else { 5 }.into()),
                ("color", colour.into()),
                ("fillColor", colour.into()),
                ("fillOpacity", if current { 0.9 } else { 0.6 }.into()),
                ("weight", 1.into()),
                ("className", if current { "sighting current" } else { "sighting" }.into()),
            ])
            .unchecked_into(),
        );
        let tip = format!("#{n} · {} · {} · {}", r.plate, r.captured_at.format("%Y-%m-%d %H:%M:%S UTC"), r.camera_name);
        text_tooltip(&marker, &tip);
        let chosen = r.clone();
        let on_click = Closure::<dyn FnMut(JsValue)>::new(move |_| selected.set(Some(chosen.clone())));
        marker.on("click", on_click.as_ref().unchecked_ref());
        self.group.add_layer(&marker);
        self.handlers.push(on_click);
    }

    /// Only the read at the slider's position, marked (an area search, whose reads are many
    /// vehicles': its whole result is drawn as [`CameraCounts`]).
    pub fn mark(&mut self, read: Option<&ReadView>, selected: RwSignal<Option<ReadView>>) {
        self.group.clear_layers();
        self.handlers.clear();
        if let Some(r) = read {
            self.marker(r, 1, "#111111", true, selected);
        }
    }
}

/// A search's whole result as one marker per camera showing its count of reads, clustered
/// where dense with the counts added up.
pub struct CameraCounts {
    map: leaflet::Map,
    cluster: leaflet::LayerGroup,
    _icon: Closure<dyn Fn(JsValue) -> JsValue>,
}

impl Drop for CameraCounts {
    fn drop(&mut self) {
        self.map.remove_layer(&self.cluster);
    }
}

/// The number a count marker shows: `1.2k` from a thousand on.
fn short(n: i64) -> String {
    if n >= 1000 {
        format!("{:.1}k", n as f64 / 1000.0)
    } else {
        n.to_string()
    }
}

/// A round marker showing `n` (a number only: no text of a read's goes into its HTML).
fn count_icon(n: i64, class: &str, size: i32) -> JsValue {
    div_icon(&options(&[
        ("html", format!("<span>{}</span>", short(n)).into()),
        ("className", class.into()),
        ("iconSize", js_sys::Array::of2(&size.into(), &size.into()).into()),
    ]))
}

impl CameraCounts {
    pub fn draw(handle: &MapHandle, counts: &[CameraCount]) -> CameraCounts {
        // A cluster shows the sum of its cameras' counts, not how many cameras it holds. (A Rust
        // closure: the page's content policy rightly allows no JavaScript made from strings.)
        let icon = Closure::<dyn Fn(JsValue) -> JsValue>::new(|cluster: JsValue| {
            let children = js_sys::Reflect::get(&cluster, &"getAllChildMarkers".into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                .and_then(|f| f.call0(&cluster).ok())
                .map(|children| js_sys::Array::from(&children))
                .unwrap_or_default();
            let total: f64 = children
                .iter()
                .filter_map(|m| js_sys::Reflect::get(&m, &"options".into()).ok())
                .filter_map(|o| js_sys::Reflect::get(&o, &"reads".into()).ok())
                .filter_map(|n| n.as_f64())
                .sum();
            count_icon(total as i64, "read-count cluster", 44)
        });
        let cluster = marker_cluster_group(&options(&[
            ("maxClusterRadius", 50.into()),
            ("showCoverageOnHover", false.into()),
            ("iconCreateFunction", icon.as_ref().clone()),
        ]));
        for c in counts {
            let icon = count_icon(c.reads, "read-count", 34);
            let marker = leaflet::Marker::new_with_options(
                &leaflet::LatLng::new(c.lat, c.lon),
                &options(&[("icon", icon), ("reads", (c.reads as f64).into())]).unchecked_into(),
            );
            let tip = format!(
                "{} · {} reads · {} – {}",
                c.camera_name,
                c.reads,
                c.first.format("%Y-%m-%d %H:%M"),
                c.last.format("%Y-%m-%d %H:%M UTC")
            );
            text_tooltip(&marker, &tip);
            cluster.add_layer(&marker);
        }
        cluster.add_to(&handle.map);
        if !counts.is_empty() {
            let points: js_sys::Array =
                counts.iter().map(|c| JsValue::from(leaflet::LatLng::new(c.lat, c.lon))).collect();
            handle.map.fit_bounds_with_options(
                &leaflet::LatLngBounds::new_from_list(&points),
                &options(&[("padding", js_sys::Array::of2(&40.into(), &40.into()).into()), ("maxZoom", 15.into())]),
            );
        }
        if let Some(el) = handle.map.get_container().dyn_ref::<web_sys::Element>() {
            let total: i64 = counts.iter().map(|c| c.reads).sum();
            let _ = el.set_attribute("data-counted-reads", &total.to_string());
        }
        CameraCounts { map: handle.map.clone(), cluster, _icon: icon }
    }
}

/// Shows `shown` on the map as a rectangle (fitted to it when `fit`), and lets the user draw
/// one with two clicks while `drawing` is set, handing it to `drawn`.
pub fn draw_area(
    handle: &MapHandle,
    drawing: RwSignal<bool>,
    shown: Signal<Option<Area>>,
    drawn: Callback<Area>,
    fit: bool,
) {
    let map = handle.map.clone();
    let shape = leaflet::LayerGroup::new();
    shape.add_to(&map);
    let first = StoredValue::new_local(None::<(f64, f64)>);
    let on_click = Closure::<dyn FnMut(leaflet::MouseEvent)>::new(move |event: leaflet::MouseEvent| {
        if !drawing.get_untracked() {
            return;
        }
        let at = event.lat_lng();
        let (lat, lng) = (at.lat(), at.lng());
        match first.get_value() {
            None => first.set_value(Some((lat, lng))),
            Some((lat0, lng0)) => {
                first.set_value(None);
                drawing.set(false);
                drawn.run(Area {
                    south: lat0.min(lat),
                    west: lng0.min(lng),
                    north: lat0.max(lat),
                    east: lng0.max(lng),
                });
            }
        }
    });
    map.on("click", on_click.as_ref().unchecked_ref());
    on_click.forget(); // lives as long as the map
    Effect::new(move |_| {
        shape.clear_layers();
        if let Some(a) = shown.get() {
            let bounds = leaflet::LatLngBounds::new(
                &leaflet::LatLng::new(a.south, a.west),
                &leaflet::LatLng::new(a.north, a.east),
            );
            let rect = leaflet::Rectangle::new_with_options(
                &bounds,
                &options(&[("color", "#d4a017".into()), ("weight", 2.into()), ("className", "search-area".into())])
                    .unchecked_into(),
            );
            shape.add_layer(&rect);
            if fit {
                map.fit_bounds_with_options(
                    &bounds,
                    &options(&[("padding", js_sys::Array::of2(&20.into(), &20.into()).into())]),
                );
            }
        }
    });
}
