use leptos::html::Div;
use leptos::prelude::*;
use shared::MapSettings;

/// A Leaflet map once it is open in the browser (never on the server).
#[derive(Clone)]
pub struct MapHandle {
    #[cfg(feature = "hydrate")]
    pub map: leaflet::Map,
}

/// A Leaflet map. Leaflet itself is served by the server (`/vendor/leaflet`), never from a CDN.
/// `on_ready` runs once, in the browser, when the map is open.
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
            if let Some(el) = node.get() {
                if map.with_value(|m| m.is_none()) {
                    match open(&el, &settings) {
                        Ok(m) => {
                            map.set_value(Some(m.clone()));
                            if let Some(ready) = on_ready {
                                ready.run(MapHandle { map: m });
                            }
                        }
                        Err(e) => leptos::logging::error!("could not open the map: {e:?}"),
                    }
                }
            }
        });
        on_cleanup(move || {
            map.with_value(|m| {
                if let Some(m) = m {
                    m.remove();
                }
            })
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (settings, on_ready);
    view! { <div class="map" node_ref=node data-testid="map"></div> }
}

#[cfg(feature = "hydrate")]
fn open(el: &web_sys::HtmlDivElement, settings: &MapSettings) -> Result<leaflet::Map, wasm_bindgen::JsValue> {
    let map = leaflet::Map::new_with_element(el, &leaflet::MapOptions::default())?;
    map.set_view(&leaflet::LatLng::new(settings.centre[0], settings.centre[1]), settings.zoom.into());
    let tiles = leaflet::TileLayerOptions::new();
    tiles.set_attribution(settings.attribution.clone());
    leaflet::TileLayer::new_options(&settings.tile_url, &tiles).add_to(&map);
    el.set_attribute("data-map-ready", "true")?;
    Ok(map)
}
