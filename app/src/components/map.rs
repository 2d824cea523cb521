use leptos::html::Div;
use leptos::prelude::*;
use shared::requests::Area;
use shared::{CameraView, MapSettings};
#[cfg(feature = "hydrate")]
use wasm_bindgen::JsCast;

/// A Leaflet map once it is open in the browser (never on the server).
#[derive(Clone)]
pub struct MapHandle {
    #[cfg(feature = "hydrate")]
    pub map: leaflet::Map,
}

/// A Leaflet map. Leaflet itself is served by the server (`/vendor/leaflet`), never from a CDN.
/// `on_ready` runs once, in the browser, when the map is open.
///
/// The map lives in an element of its own, made in the browser inside the one rendered here:
/// moving from one page with a map to another, the router may keep the rendered element and
/// hand it to the new page before the old page has closed its map, so each map must have its
/// own container to open and to take away.
#[component]
pub fn LeafletMap(
    settings: MapSettings,
    #[prop(optional, into)] on_ready: Option<Callback<MapHandle>>,
) -> impl IntoView {
    let node = NodeRef::<Div>::new();
    #[cfg(feature = "hydrate")]
    {
        let map = StoredValue::new_local(None::<leaflet::Map>);
        Effect::new(move |_| {
            let Some(place) = node.get() else { return };
            if map.with_value(|m| m.is_some()) {
                return;
            }
            match open(&place, &settings) {
                Ok(m) => {
                    map.set_value(Some(m.clone()));
                    if let Some(ready) = on_ready {
                        ready.run(MapHandle { map: m });
                    }
                }
                Err(e) => leptos::logging::error!("could not open the map: {e:?}"),
            }
        });
        on_cleanup(move || {
            map.with_value(|m| {
                if let Some(m) = m {
                    m.remove();
                    m.get_container().remove();
                }
            })
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (settings, on_ready);
    view! { <div class="map" node_ref=node></div> }
}

/// Opens a map in a new element inside `place` (the `map` test id is on that element, with
/// what the layers say of themselves for whoever checks from outside).
#[cfg(feature = "hydrate")]
fn open(place: &web_sys::HtmlDivElement, settings: &MapSettings) -> Result<leaflet::Map, wasm_bindgen::JsValue> {
    let el: web_sys::HtmlElement = document().create_element("div")?.unchecked_into();
    el.set_class_name("map-view");
    el.set_attribute("data-testid", "map")?;
    place.append_child(&el)?;
    let map = leaflet::Map::new_with_element(&el, &leaflet::MapOptions::default())?;
    map.set_view(&leaflet::LatLng::new(settings.centre[0], settings.centre[1]), settings.zoom.into());
    let tiles = leaflet::TileLayerOptions::new();
    tiles.set_attribution(settings.attribution.clone());
    leaflet::TileLayer::new_options(&settings.tile_url, &tiles).add_to(&map);
    el.set_attribute("data-map-ready", "true")?;
    Ok(map)
}

/// A map of `cameras`, coloured by status with a legend; a click on one picks it.
#[component]
pub fn CameraMap(cameras: Vec<CameraView>, on_pick: Callback<CameraView>) -> impl IntoView {
    let settings = crate::session::map_settings();
    #[cfg(feature = "hydrate")]
    let on_ready = {
        let picks = StoredValue::new_local(None::<crate::components::live::CameraPicks>);
        Callback::new(move |handle: MapHandle| {
            picks.set_value(Some(crate::components::live::pickable_cameras(&handle, &cameras, on_pick)));
        })
    };
    #[cfg(not(feature = "hydrate"))]
    let on_ready = {
        let _ = (cameras, on_pick);
        Callback::new(|_: MapHandle| {})
    };
    view! {
        <div class="camera-map">
            <LeafletMap settings=settings on_ready=on_ready/>
            <MapLegend/>
        </div>
    }
}

/// What the map's colours mean: cameras by status and, on the live map, silent cameras (to
/// system admins, who see the network's health) and alerts and a watch's reads (to
/// investigators, who receive them).
#[component]
pub fn MapLegend(#[prop(optional)] silent: bool, #[prop(optional)] reads: bool) -> impl IntoView {
    view! {
        <ul class="legend" aria-label="Map legend">
            <li><span class="swatch approved"></span>"approved camera"</li>
            <li><span class="swatch pending"></span>"pending"</li>
            <li><span class="swatch suspended"></span>"suspended"</li>
            {silent.then(|| view! { <li><span class="swatch silent"></span>"silent"</li> })}
            {reads.then(|| view! {
                <li><span class="swatch alert"></span>"alert"</li>
                <li><span class="swatch read"></span>"watch read"</li>
            })}
        </ul>
    }
}

/// An area on a small map of its own: a request's scope as a supervisor judges it, or, given
/// `drawn`, one the user draws with two clicks after pressing the button.
#[component]
pub fn AreaMap(
    #[prop(into)] shown: Signal<Option<Area>>,
    #[prop(optional, into)] drawn: Option<Callback<Area>>,
) -> impl IntoView {
    let settings = crate::session::map_settings();
    let drawing = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    let on_ready = Callback::new(move |handle: MapHandle| {
        let drawn = drawn.unwrap_or_else(|| Callback::new(|_| {}));
        crate::components::journey::draw_area(&handle, drawing, shown, drawn, true);
    });
    #[cfg(not(feature = "hydrate"))]
    let on_ready = {
        let _ = shown;
        Callback::new(|_: MapHandle| {})
    };
    view! {
        <div class="area-map" data-testid="area-map">
            <LeafletMap settings=settings on_ready=on_ready/>
            {drawn.is_some().then(|| view! {
                <button type="button" on:click=move |_| drawing.set(true)>
                    {move || if drawing.get() { "Click two corners on the map…" } else { "Draw the area on the map" }}
                </button>
            })}
        </div>
    }
}
