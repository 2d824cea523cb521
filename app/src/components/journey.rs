//! Search results on the map (browser only): each vehicle's sightings joined in time order as a
//! journey, drawn up to the slider's position; an area search's whole result as counts per
//! camera, clustered; and a rectangle drawn by two clicks.

use crate::components::live::{div_icon, marker_cluster_group, options, text_tooltip};
use crate::components::map::MapHandle;
use leptos::prelude::*;
use shared::requests::Area;
use shared::search::CameraCount;
use shared::ReadView;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const COLOURS: [&str; 6] = ["#0b5cad", "#b42318", "#1a7f37", "#7a3db8", "#c4661f", "#0f7b8a"];

/// Journeys of more sightings than this are drawn on one canvas: thousands of SVG elements
/// would make every pan and zoom slow. (Fewer stay SVG, each sighting an element of its own.)
const SVG_UP_TO: usize = 1_000;

/// Sightings made in one animation frame while a long journey is drawn, so that no frame is
/// long: ten thousand are on the map within a few frames and the page answers throughout.
const PER_FRAME: usize = 1_000;

/// The journey layer of a map: every sighting made once when the reads change, then shown up
/// to the slider's position by adding or taking away only those that moved past it.
type Handler = Closure<dyn FnMut(JsValue)>;

#[derive(Clone)]
pub struct Journey {
    map: leaflet::Map,
    drawn: Rc<RefCell<Drawn>>,
    /// The one canvas long journeys are drawn on (made once: a map keeps every renderer it was
    /// given, and redraws each of them on every pan and zoom).
    canvas: Rc<std::cell::OnceCell<JsValue>>,
    /// One click handler and one hover handler for every sighting (each marker carries its
    /// read's index in its options), instead of two closures a sighting.
    handlers: Rc<[Handler; 2]>,
}

#[derive(Default)]
struct Drawn {
    /// The reads drawn, in time order, and each one's number in its plate's journey (from 1).
    reads: Vec<ReadView>,
    numbers: Vec<usize>,
    group: Option<leaflet::FeatureGroup>,
    renderer: Option<JsValue>,
    /// Each plate's line and its points (with the index of the read each is).
    lines: Vec<(leaflet::Polyline, js_sys::Array, Vec<usize>)>,
    /// The sightings made so far (made in frames for a long journey); `shown` are on the map.
    markers: Vec<leaflet::CircleMarker>,
    shown: usize,
    upto: usize,
    current: Option<leaflet::CircleMarker>,
    /// Bumped by each drawing, so that frames still making an earlier one stop.
    generation: u64,
}

impl Journey {
    pub fn new(handle: &MapHandle, selected: RwSignal<Option<ReadView>>) -> Journey {
        let drawn = Rc::new(RefCell::new(Drawn::default()));
        let read_of = {
            let drawn = Rc::downgrade(&drawn);
            move |event: &JsValue| -> Option<(JsValue, usize)> {
                let layer = js_sys::Reflect::get(event, &"propagatedFrom".into()).ok().filter(|l| !l.is_undefined())?;
                let options = js_sys::Reflect::get(&layer, &"options".into()).ok()?;
                let index = js_sys::Reflect::get(&options, &"read".into()).ok()?.as_f64()? as usize;
                drawn.upgrade()?.borrow().reads.get(index).is_some().then_some((layer, index))
            }
        };
        let click = {
            let (drawn, read_of) = (Rc::downgrade(&drawn), read_of.clone());
            Handler::new(move |event: JsValue| {
                let Some((_, index)) = read_of(&event) else { return };
                let read = drawn.upgrade().and_then(|d| d.borrow().reads.get(index).cloned());
                selected.set(read);
            })
        };
        // Each sighting's tooltip (its number, time and camera) is made when first hovered.
        let hover = {
            let drawn = Rc::downgrade(&drawn);
            Handler::new(move |event: JsValue| {
                let Some((layer, index)) = read_of(&event) else { return };
                let Some(drawn) = drawn.upgrade() else { return };
                let drawn = drawn.borrow();
                let has_tip =
                    js_sys::Reflect::get(&layer, &"_tooltip".into()).is_ok_and(|t| !t.is_undefined() && !t.is_null());
                if !has_tip {
                    let r = &drawn.reads[index];
                    let tip = format!(
                        "#{} · {} · {} · {}",
                        drawn.numbers[index],
                        r.plate,
                        r.captured_at.format("%Y-%m-%d %H:%M:%S UTC"),
                        r.camera_name
                    );
                    text_tooltip(&layer, &tip);
                    layer.unchecked_ref::<leaflet::Layer>().open_tooltip(&leaflet::LatLng::new(r.lat, r.lon));
                }
            })
        };
        Journey { map: handle.map.clone(), drawn, canvas: Rc::default(), handlers: Rc::new([click, hover]) }
    }

    /// Draws `reads` (in time order), one line per plate, shown up to and including index
    /// `upto`, the newest shown sighting marked. Fits the map to all reads when `fit` is set.
    pub fn draw(&self, reads: &[ReadView], upto: usize, fit: bool) {
        let generation = {
            let mut d = self.drawn.borrow_mut();
            if let Some(old) = d.group.take() {
                self.map.remove_layer(&old);
            }
            let generation = d.generation + 1;
            *d = Drawn { generation, ..Drawn::default() };
            let group = leaflet::FeatureGroup::new();
            group.on("click", self.handlers[0].as_ref().unchecked_ref());
            group.on("mouseover", self.handlers[1].as_ref().unchecked_ref());
            group.add_to(&self.map);
            d.group = Some(group);
            d.renderer = (reads.len() > SVG_UP_TO).then(|| self.canvas.get_or_init(canvas_renderer).clone());
            d.reads = reads.to_vec();
            let mut by_plate: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            let mut numbers = Vec::with_capacity(reads.len());
            for (i, r) in reads.iter().enumerate() {
                let journey = by_plate.entry(r.plate.as_str()).or_default();
                journey.push(i);
                numbers.push(journey.len());
            }
            d.numbers = numbers;
            for (n, indexes) in by_plate.into_values().enumerate() {
                let colour = COLOURS[n % COLOURS.len()];
                let points: js_sys::Array =
                    indexes.iter().map(|&i| JsValue::from(leaflet::LatLng::new(reads[i].lat, reads[i].lon))).collect();
                // Vehicles that drove the same road stay apart: the first a broad line, each
                // after it narrower and dashed over it.
                let line = leaflet::Polyline::new_with_options(
                    &js_sys::Array::new(),
                    &d.options(&[
                        ("color", colour.into()),
                        ("weight", if n == 0 { 6 } else { 3 }.into()),
                        ("dashArray", if n == 0 { "" } else { "8 6" }.into()),
                        ("opacity", 0.75.into()),
                        ("className", "journey".into()),
                        ("interactive", false.into()),
                    ])
                    .unchecked_into(),
                );
                d.group.as_ref().map(|g| g.add_layer(&line));
                d.lines.push((line, points, indexes));
            }
            d.upto = upto;
            generation
        };
        if fit && !reads.is_empty() {
            let points: js_sys::Array =
                reads.iter().map(|r| JsValue::from(leaflet::LatLng::new(r.lat, r.lon))).collect();
            self.map.fit_bounds_with_options(
                &leaflet::LatLngBounds::new_from_list(&points),
                &options(&[("padding", js_sys::Array::of2(&40.into(), &40.into()).into()), ("maxZoom", 15.into())]),
            );
        }
        // The sightings are made a frame's worth at a time; each frame shows what is made.
        if !self.make_and_show(generation) {
            return;
        }
        let journey = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            next_frame().await;
            while journey.make_and_show(generation) {
                next_frame().await;
            }
        });
    }

    /// Makes a frame's worth of the sightings of drawing `generation` and shows them; whether
    /// more are left to make (none once another drawing began).
    fn make_and_show(&self, generation: u64) -> bool {
        let mut d = self.drawn.borrow_mut();
        if d.generation != generation {
            return false;
        }
        d.make(PER_FRAME);
        let upto = d.upto;
        d.show(upto);
        self.say_shown(d.shown);
        d.markers.len() < d.reads.len()
    }

    /// How many sightings are on the map, on its element (`data-sightings`), for whoever
    /// checks the drawing from outside.
    fn say_shown(&self, shown: usize) {
        if let Some(el) = self.map.get_container().dyn_ref::<web_sys::Element>() {
            let _ = el.set_attribute("data-sightings", &shown.to_string());
        }
    }

    /// Shows the journey up to and including index `upto`, that sighting marked.
    pub fn show_upto(&self, upto: usize) {
        let mut d = self.drawn.borrow_mut();
        d.upto = upto;
        d.show(upto);
        self.say_shown(d.shown);
    }

    /// Only the read at the slider's position, marked (an area search, whose reads are many
    /// vehicles': its whole result is drawn as [`CameraCounts`]).
    pub fn mark(&self, read: Option<&ReadView>) {
        self.draw(&[], 0, false);
        if let Some(r) = read {
            let mut d = self.drawn.borrow_mut();
            d.reads = vec![r.clone()];
            d.numbers = vec![1];
            d.show(0);
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// `L.canvas()`: a renderer drawing its layers on one canvas.
    #[wasm_bindgen(js_namespace = L, js_name = canvas)]
    fn canvas_renderer() -> JsValue;
}

/// Resolves at the browser's next animation frame.
async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.request_animation_frame(&resolve);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

impl Drawn {
    /// Leaflet options, drawn on the canvas when the journey is long.
    fn options(&self, pairs: &[(&str, JsValue)]) -> JsValue {
        let object = options(pairs);
        if let Some(renderer) = &self.renderer {
            let _ = js_sys::Reflect::set(&object, &"renderer".into(), renderer);
        }
        object
    }

    /// Sighting `index`'s marker in `colour`; `current` is the one at the slider's position
    /// (always an SVG element of its own, drawn above the rest).
    fn marker(&self, index: usize, colour: &str, current: bool) -> leaflet::CircleMarker {
        let r = &self.reads[index];
        let pairs = [
            ("radius", if current { 9 } else { 5 }.into()),
            ("color", colour.into()),
            ("fillColor", colour.into()),
            ("fillOpacity", if current { 0.9 } else { 0.6 }.into()),
            ("weight", 1.into()),
            ("className", if current { "sighting current" } else { "sighting" }.into()),
            ("read", (index as f64).into()),
        ];
        let options = if current { options(&pairs) } else { self.options(&pairs) };
        leaflet::CircleMarker::new_with_options(&leaflet::LatLng::new(r.lat, r.lon), &options.unchecked_into())
    }

    /// Makes up to `count` more sightings' markers (not yet on the map), each in its plate's
    /// colour.
    fn make(&mut self, count: usize) {
        let from = self.markers.len();
        let to = (from + count).min(self.reads.len());
        let mut colours = vec![COLOURS[0]; to - from];
        for (n, (_, _, indexes)) in self.lines.iter().enumerate() {
            let start = indexes.partition_point(|&i| i < from);
            for &i in indexes[start..].iter().take_while(|&&i| i < to) {
                colours[i - from] = COLOURS[n % COLOURS.len()];
            }
        }
        let made: Vec<_> = (from..to).zip(colours).map(|(index, colour)| self.marker(index, colour, false)).collect();
        self.markers.extend(made);
    }

    /// Puts the sightings up to `upto` (those made so far) on the map and takes the rest off;
    /// each line runs to its last shown point; the sighting at `upto` is marked.
    fn show(&mut self, upto: usize) {
        let Some(group) = self.group.clone() else { return };
        let target = (upto + 1).min(self.markers.len());
        for marker in &self.markers[self.shown.min(target)..self.shown.max(target)] {
            if target > self.shown {
                group.add_layer(marker);
            } else {
                group.remove_layer(marker);
            }
        }
        self.shown = target;
        for (line, points, indexes) in &self.lines {
            let shown = indexes.partition_point(|&i| i <= upto);
            line.set_lat_lngs(&points.slice(0, shown as u32));
        }
        if let Some(old) = self.current.take() {
            group.remove_layer(&old);
        }
        if upto < self.reads.len() {
            let current = self.marker(upto, "#111111", true);
            group.add_layer(&current);
            self.current = Some(current);
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
