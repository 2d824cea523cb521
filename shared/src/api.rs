//! Shapes shared by the HTTP API, its clients and the UI shell.

use crate::accounts::UserView;
use serde::{Deserialize, Serialize};

/// The body of every error the API returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
    /// For a refused form: what is wrong with each field, all at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<crate::form::FieldProblem>,
}

/// What the server tells the UI shell when it renders a page: who is signed in and how to draw
/// the map. Rendered into the page so hydration sees the same values as the server did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShellData {
    pub user: Option<UserView>,
    pub map: MapSettings,
    /// The rules as this deployment configures them, for pages that explain them.
    #[serde(default)]
    pub policy: Policy,
}

/// How far back each tier reaches (R12), what counts as beyond the standard window, and the
/// audit sample's rates (R22), as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Policy {
    pub local_days: i64,
    pub central_months: u32,
    pub standard_days: i64,
    pub retention_months: u32,
    pub sample_beyond_standard_percent: f64,
    pub sample_other_percent: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            local_days: 90,
            central_months: 12,
            standard_days: 90,
            retention_months: 12,
            sample_beyond_standard_percent: 5.0,
            sample_other_percent: 2.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapSettings {
    /// A slippy-map tile URL template (`{z}/{x}/{y}`), e.g. the force's own tile server.
    pub tile_url: String,
    pub attribution: String,
    pub centre: [f64; 2],
    pub zoom: u8,
}

impl Default for MapSettings {
    fn default() -> Self {
        MapSettings {
            tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            attribution: "© OpenStreetMap contributors".into(),
            // Central London.
            centre: [51.5074, -0.1278],
            zoom: 11,
        }
    }
}
