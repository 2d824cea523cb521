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
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const COLOURS: [&str; 6] = ["#0b5cad", "#b42318", "#1a7f37", "#7a3db8", "#c4661f", "#0f7b8a"];

/// Journeys of more sightings than this are drawn on one canvas: thousands of SVG elements
/// would make every pan and zoom slow. (Fewer stay SVG, each place an element of its own.)
const SVG_UP_TO: usize = 1_000;

/// Places made, put on or taken off the map in one animation frame, so that no frame is long
/// however many places a journey has: the map catches up over a few frames and the page
/// answers throughout.
const PER_FRAME: usize = 1_000;

type Handler = Closure<dyn FnMut(JsValue)>;

/// The journey layer of a map. A vehicle seen many times at one camera is one marker there,
/// standing for its latest sighting up to the slider's position (ten thousand sightings of a
/// vehicle that keeps to its roads are a few dozen places, not ten thousand circles drawn on
/// one another), and its line joins each pair of places once. Reads are added as they arrive
/// (a search's further pages add to what is drawn instead of drawing it again) and shown up to
/// the slider's position, changing only the places and lines that the move touched.
#[derive(Clone)]
pub struct Journey {
    map: leaflet::Map,
    drawn: Rc<RefCell<Drawn>>,
    /// The one canvas long journeys are drawn on (made once: a map keeps every renderer it was
    /// given, and redraws each of them on every pan and zoom).
    canvas: Rc<std::cell::OnceCell<JsValue>>,
    /// One click handler and one hover handler for every place (each marker carries the index
    /// of the read it stands for), instead of two closures a place.
    handlers: Rc<[Handler; 2]>,
}

/// One vehicle's line: each pair of places it went between, once, in the order first driven.
struct Line {
    line: leaflet::Polyline,
    segments: js_sys::Array,
    /// The read that first drove each segment (in time order, as the segments are).
    firsts: Vec<usize>,
    driven: HashSet<(usize, usize)>,
    last_place: Option<usize>,
    /// How many reads of this vehicle are drawn; how many segments are on the map.
    reads: usize,
    shown: usize,
}

/// Where one vehicle was seen, once or many times.
struct Place {
    line: usize,
    lat: f64,
    lon: f64,
    /// The reads seen here, in time order.
    reads: Vec<usize>,
    marker: Option<leaflet::CircleMarker>,
    on_map: bool,
    /// The read the marker stands for: the latest here up to the slider's position.
    stands_for: usize,
}

#[derive(Default)]
struct Drawn {
    /// The reads drawn, in time order; each one's number in its plate's journey (from 1) and
    /// the place it was seen.
    reads: Vec<ReadView>,
    numbers: Vec<usize>,
    place_of_read: Vec<usize>,
    group: Option<leaflet::FeatureGroup>,
    renderer: Option<JsValue>,
    /// Each plate's line, in the order the plates first appear.
    lines: Vec<Line>,
    line_of: HashMap<String, usize>,
    places: Vec<Place>,
    place_at: HashMap<(usize, u64, u64), usize>,
    /// A place's options in each plate colour (Leaflet copies options into each marker).
    styles: Vec<JsValue>,
    /// South, west, north, east of every read drawn.
    bounds: Option<[f64; 4]>,
    /// How many places have their marker made (in order).
    made: usize,
    /// How many sightings the places on the map stand for.
    shown: usize,
    /// The slider's position: the map catches up to show the reads up to and including it.
    upto: usize,
    current: Option<leaflet::CircleMarker>,
    /// Bumped by each drawing afresh, so that frames still at work on an earlier one stop.
    generation: u64,
    /// Whether frames are at work catching the map up.
    busy: bool,
    /// Whether this is a journey that further reads may go on from (not one marked read).
    continued: bool,
}

impl Journey {
    /// `chosen` is given the read of a sighting clicked on the map.
    pub fn new(handle: &MapHandle, chosen: Callback<ReadView>) -> Journey {
        let drawn = Rc::new(RefCell::new(Drawn::default()));
        let read_of = {
            let drawn = Rc::downgrade(&drawn);
            move |event: &JsValue| -> Option<(JsValue, usize)> {
                let layer = js_sys::Reflect::get(event, &"propagatedFrom".into()).ok().filter(|l| !l.is_undefined())?;
                let index = js_sys::Reflect::get(&layer, &READ.into()).ok()?.as_f64()? as usize;
                drawn.upgrade()?.borrow().reads.get(index).is_some().then_some((layer, index))
            }
        };
        let click = {
            let (drawn, read_of) = (Rc::downgrade(&drawn), read_of.clone());
            Handler::new(move |event: JsValue| {
                let Some((_, index)) = read_of(&event) else { return };
                let read = drawn.upgrade().and_then(|d| d.borrow().reads.get(index).cloned());
                if let Some(read) = read {
                    chosen.run(read);
                }
            })
        };
        // A place's tooltip (the number, time and camera of the sighting it stands for, and how
        // often the vehicle was seen there until then) is made as the pointer comes to it.
        let hover = {
            let drawn = Rc::downgrade(&drawn);
            Handler::new(move |event: JsValue| {
                let Some((layer, index)) = read_of(&event) else { return };
                let Some(drawn) = drawn.upgrade() else { return };
                let drawn = drawn.borrow();
                let r = &drawn.reads[index];
                let place = &drawn.places[drawn.place_of_read[index]];
                let times = place.reads.partition_point(|&i| i <= index);
                let tip = format!(
                    "#{} · {} · {} · {}{}",
                    drawn.numbers[index],
                    r.plate,
                    r.captured_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    r.camera_name,
                    if times > 1 { format!(" · seen here {times} times by then") } else { String::new() }
                );
                text_tooltip(&layer, &tip);
                layer.unchecked_ref::<leaflet::Layer>().open_tooltip(&leaflet::LatLng::new(r.lat, r.lon));
            })
        };
        // The sighting at the slider's position goes above everything else drawn, an area
        // search's count markers included (the pane's place is in the style sheet:
        // `.leaflet-current-sighting-pane`).
        if handle.map.get_pane_by_name(CURRENT_PANE).is_undefined() {
            handle.map.create_pane_by_name(CURRENT_PANE);
        }
        Journey { map: handle.map.clone(), drawn, canvas: Rc::default(), handlers: Rc::new([click, hover]) }
    }

    /// Draws `reads` (in time order), one line per plate, shown up to the newest, which is
    /// marked; the map is fitted to them. Where `reads` goes on from what is drawn (the same
    /// reads first: a search's next page), only the new ones are added, and the map is fitted
    /// again only if they lie outside what it was fitted to; the same reads again (one of them
    /// checked since) are taken as they are now and leave the drawing be.
    pub fn draw(&self, reads: &[ReadView]) {
        let goes_on = {
            let d = self.drawn.borrow();
            let had = d.reads.len();
            d.continued
                && had <= reads.len()
                && d.reads.first().map(|r| r.id) == reads.first().map(|r| r.id)
                && d.reads.last().map(|r| r.id) == reads.get(had.wrapping_sub(1)).map(|r| r.id)
                // A journey that grows long moves onto the canvas: drawn afresh, once.
                && (d.renderer.is_some() || reads.len() <= SVG_UP_TO)
        };
        if !goes_on {
            self.start(reads, true);
            self.drawn.borrow_mut().continued = true;
            return;
        }
        let grew = {
            let mut d = self.drawn.borrow_mut();
            let had = d.reads.len();
            if had == reads.len() {
                d.reads.clone_from_slice(reads);
                return;
            }
            let before = d.bounds;
            d.add(&reads[had..]);
            d.upto = reads.len() - 1;
            d.bounds != before
        };
        if grew {
            self.fit();
        }
        self.catch_up();
    }

    /// Draws `reads` afresh (fitting the map to them if `fit`).
    fn start(&self, reads: &[ReadView], fit: bool) {
        {
            let mut d = self.drawn.borrow_mut();
            if let Some(old) = d.group.take() {
                self.map.remove_layer(&old);
            }
            *d = Drawn { generation: d.generation + 1, ..Drawn::default() };
            let group = leaflet::FeatureGroup::new();
            group.on("click", self.handlers[0].as_ref().unchecked_ref());
            group.on("mouseover", self.handlers[1].as_ref().unchecked_ref());
            group.add_to(&self.map);
            d.group = Some(group);
            d.renderer = (reads.len() > SVG_UP_TO).then(|| self.canvas.get_or_init(canvas_renderer).clone());
            d.styles = COLOURS.iter().map(|colour| d.style(colour, false)).collect();
            d.add(reads);
            d.upto = reads.len().saturating_sub(1);
        }
        if fit {
            self.fit();
        }
        self.catch_up();
    }

    /// Fits the map to every read drawn.
    fn fit(&self) {
        let Some([south, west, north, east]) = self.drawn.borrow().bounds else { return };
        self.map.fit_bounds_with_options(
            &leaflet::LatLngBounds::new(&leaflet::LatLng::new(south, west), &leaflet::LatLng::new(north, east)),
            &options(&[("padding", js_sys::Array::of2(&40.into(), &40.into()).into()), ("maxZoom", 15.into())]),
        );
    }

    /// Shows the journey up to and including index `upto`, that sighting marked.
    pub fn show_upto(&self, upto: usize) {
        self.drawn.borrow_mut().upto = upto;
        self.catch_up();
    }

    /// Only the read at the slider's position, marked (an area search, whose reads are many
    /// vehicles': its whole result is drawn as [`CameraCounts`]).
    pub fn mark(&self, read: Option<&ReadView>) {
        self.start(read.map(std::slice::from_ref).unwrap_or_default(), false);
    }

    /// Brings the map up to date a frame's worth at a time: the places not yet made, and those
    /// to put on or take off the map for the slider's position. Does one frame's worth now and
    /// leaves the rest to the next frames, unless frames are already at it.
    fn catch_up(&self) {
        let generation = {
            let d = self.drawn.borrow();
            if d.busy {
                return;
            }
            d.generation
        };
        if !self.frame(generation) {
            return;
        }
        let journey = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            next_frame().await;
            while journey.frame(generation) {
                next_frame().await;
            }
        });
    }

    /// One frame's worth of catching up with drawing `generation`; whether more is left (none
    /// once another drawing began).
    fn frame(&self, generation: u64) -> bool {
        let mut d = self.drawn.borrow_mut();
        if d.generation != generation {
            return false;
        }
        d.make(PER_FRAME);
        let left = d.show(PER_FRAME);
        // How many sightings are on the map, on its element (`data-sightings`), for whoever
        // checks the drawing from outside.
        if let Some(el) = self.map.get_container().dyn_ref::<web_sys::Element>() {
            let _ = el.set_attribute("data-sightings", &d.shown.to_string());
        }
        d.busy = left || d.made < d.places.len();
        d.busy
    }
}

/// The map pane of the sighting at the slider's position.
const CURRENT_PANE: &str = "current-sighting";

/// The property of a place's marker that holds the index of the read it stands for.
const READ: &str = "read";

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

    /// A place's options in `colour`; `current` for the sighting at the slider's position
    /// (always an SVG element of its own, drawn above the rest).
    fn style(&self, colour: &str, current: bool) -> JsValue {
        let pairs = [
            ("radius", if current { 9 } else { 5 }.into()),
            ("color", colour.into()),
            ("fillColor", colour.into()),
            ("fillOpacity", if current { 0.9 } else { 0.6 }.into()),
            ("weight", 1.into()),
            ("className", if current { "sighting current" } else { "sighting" }.into()),
        ];
        if current {
            let object = options(&pairs);
            let _ = js_sys::Reflect::set(&object, &"pane".into(), &CURRENT_PANE.into());
            object
        } else {
            self.options(&pairs)
        }
    }

    /// A marker at (`lat`, `lon`) with `style`, standing for read `index`.
    fn marker(lat: f64, lon: f64, index: usize, style: &JsValue) -> leaflet::CircleMarker {
        let marker = leaflet::CircleMarker::new_with_options(&leaflet::LatLng::new(lat, lon), style.unchecked_ref());
        let _ = js_sys::Reflect::set(&marker, &READ.into(), &(index as f64).into());
        marker
    }

    /// Adds `reads` (later than those drawn) to the journeys: each to its plate's line (a new
    /// line for a plate not seen before) and its place, a new segment where the vehicle went
    /// between two places it had not gone between before. Markers are made by [`Drawn::make`].
    fn add(&mut self, reads: &[ReadView]) {
        let from = self.reads.len();
        self.reads.extend_from_slice(reads);
        for index in from..self.reads.len() {
            let (lat, lon) = (self.reads[index].lat, self.reads[index].lon);
            let n = match self.line_of.get(&self.reads[index].plate) {
                Some(&n) => n,
                None => self.new_line(index),
            };
            let places = &mut self.places;
            let place = *self.place_at.entry((n, lat.to_bits(), lon.to_bits())).or_insert_with(|| {
                places.push(Place {
                    line: n,
                    lat,
                    lon,
                    reads: Vec::new(),
                    marker: None,
                    on_map: false,
                    stands_for: index,
                });
                places.len() - 1
            });
            places[place].reads.push(index);
            self.place_of_read.push(place);
            let line = &mut self.lines[n];
            line.reads += 1;
            self.numbers.push(line.reads);
            if let Some(last) = line.last_place.filter(|&last| last != place) {
                if line.driven.insert((last.min(place), last.max(place))) {
                    let ends =
                        [&places[last], &places[place]].map(|p| JsValue::from(leaflet::LatLng::new(p.lat, p.lon)));
                    line.segments.push(&js_sys::Array::of2(&ends[0], &ends[1]));
                    line.firsts.push(index);
                }
            }
            line.last_place = Some(place);
            let [south, west, north, east] = self.bounds.get_or_insert([lat, lon, lat, lon]);
            (*south, *west, *north, *east) = (south.min(lat), west.min(lon), north.max(lat), east.max(lon));
        }
    }

    /// A line for the plate of read `index`, in the next colour; its number.
    fn new_line(&mut self, index: usize) -> usize {
        let n = self.lines.len();
        // Vehicles that drove the same road stay apart: the first a broad line, each after it
        // narrower and dashed over it.
        let line = leaflet::Polyline::new_with_options(
            &js_sys::Array::new(),
            &self
                .options(&[
                    ("color", COLOURS[n % COLOURS.len()].into()),
                    ("weight", if n == 0 { 6 } else { 3 }.into()),
                    ("dashArray", if n == 0 { "" } else { "8 6" }.into()),
                    ("opacity", 0.75.into()),
                    ("className", "journey".into()),
                    ("interactive", false.into()),
                ])
                .unchecked_into(),
        );
        self.lines.push(Line {
            line,
            segments: js_sys::Array::new(),
            firsts: Vec::new(),
            driven: HashSet::new(),
            last_place: None,
            reads: 0,
            shown: 0,
        });
        self.line_of.insert(self.reads[index].plate.clone(), n);
        n
    }

    /// Makes up to `count` more places' markers (not yet on the map), each in its plate's
    /// colour.
    fn make(&mut self, count: usize) {
        let to = (self.made + count).min(self.places.len());
        for place in &mut self.places[self.made..to] {
            let style = &self.styles[place.line % COLOURS.len()];
            place.marker = Some(Drawn::marker(place.lat, place.lon, place.stands_for, style));
        }
        self.made = to;
    }

    /// Puts up to `count` places on the map or takes them off, for the slider's position; each
    /// place stands for its latest sighting up to it, each line runs through the segments
    /// driven by then, and the sighting at the position is marked. Whether changes are left
    /// for the next frame.
    fn show(&mut self, count: usize) -> bool {
        let Some(group) = self.group.clone() else { return false };
        let upto = self.upto;
        let (mut changes, mut shown) = (0, 0);
        for place in &mut self.places[..self.made] {
            let Some(marker) = &place.marker else { continue };
            let seen = place.reads.partition_point(|&i| i <= upto);
            if (seen > 0) != place.on_map && changes < count {
                if seen > 0 {
                    group.add_layer(marker);
                } else {
                    group.remove_layer(marker);
                }
                place.on_map = seen > 0;
                changes += 1;
            }
            if place.on_map && seen > 0 {
                let stands_for = place.reads[seen - 1];
                if stands_for != place.stands_for {
                    let _ = js_sys::Reflect::set(marker, &READ.into(), &(stands_for as f64).into());
                    place.stands_for = stands_for;
                }
                shown += seen;
            }
        }
        self.shown = shown;
        // A line is on the map while it has a segment to draw (one place is no journey).
        for line in &mut self.lines {
            let driven = line.firsts.partition_point(|&i| i <= upto);
            if driven != line.shown {
                line.line.set_lat_lngs(&line.segments.slice(0, driven as u32));
                match (line.shown, driven) {
                    (0, _) => _ = group.add_layer(&line.line),
                    (_, 0) => _ = group.remove_layer(&line.line),
                    _ => {}
                }
                line.shown = driven;
            }
        }
        if let Some(old) = self.current.take() {
            group.remove_layer(&old);
        }
        if let Some(r) = self.reads.get(upto) {
            let current = Drawn::marker(r.lat, r.lon, upto, &self.style("#111111", true));
            group.add_layer(&current);
            self.current = Some(current);
        }
        changes >= count
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
