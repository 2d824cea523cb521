//! Reads (R1): what a camera feed submits, what ingest answers, and what the workbench shows.

use crate::plate::Plate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most reads one ingest request may carry.
pub const MAX_BATCH: usize = 1000;

/// One read in the native JSON format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NativeRead {
    pub plate: Plate,
    pub captured_at: DateTime<Utc>,
    /// The camera's id as the feed knows it.
    pub camera: String,
    /// Recognition confidence, 0 to 1.
    pub confidence: f64,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub lane: Option<u8>,
    #[serde(default)]
    pub make: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub colour: Option<String>,
    /// The plate patch, base64 JPEG or PNG.
    #[serde(default)]
    pub plate_image: Option<String>,
    /// The overview, base64 JPEG or PNG.
    #[serde(default)]
    pub overview_image: Option<String>,
}

impl NativeRead {
    /// The checks a well-formed read must pass beyond its types.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(format!("confidence {} is not between 0 and 1", self.confidence));
        }
        if self.camera.trim().is_empty() || self.camera.len() > 64 {
            return Err("camera must be 1 to 64 characters".into());
        }
        let camera = Some(self.camera.clone());
        for (name, value, max) in [
            ("camera", &camera, 64),
            ("direction", &self.direction, 16),
            ("make", &self.make, 40),
            ("model", &self.model, 40),
            ("colour", &self.colour, 24),
        ] {
            let Some(value) = value else { continue };
            if value.chars().count() > max {
                return Err(format!("{name} is longer than {max} characters"));
            }
            // No camera names itself so, and a store may not keep one (PostgreSQL's text
            // refuses NUL): refused here, for every format, before anything is written. Line
            // breaks and tabs are text (exports keep them inert).
            if !crate::form::plain_text(value) {
                return Err(format!("{name} holds a control or invisible format character"));
            }
        }
        Ok(())
    }
}

/// A batch in the native format.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NativeBatch<R = NativeRead> {
    pub reads: Vec<R>,
}

/// Which image of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImageKind {
    /// The plate patch: at most 120×60 px and 3 KB (R2).
    Plate,
    /// The overview of the vehicle: at most 25 KB (R2).
    Overview,
}

impl ImageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageKind::Plate => "plate",
            ImageKind::Overview => "overview",
        }
    }
}

/// What became of an ingest request: reads stored, reads already held, reads refused (with the
/// position in the batch and why), and images refused from reads that were otherwise stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IngestReport {
    pub accepted: usize,
    /// Previews replaced by their final read (OpenALPR's `is_preview` groups).
    #[serde(default)]
    pub replaced: usize,
    pub duplicates: usize,
    pub refused: Vec<Refusal>,
    pub image_problems: Vec<ImageProblem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    pub index: usize,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageProblem {
    pub index: usize,
    pub image: ImageKind,
    pub reason: String,
}

/// A stored read as the workbench shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadView {
    pub id: i64,
    pub plate: String,
    pub captured_at: DateTime<Utc>,
    pub camera_id: i64,
    pub camera_name: String,
    pub lat: f64,
    pub lon: f64,
    pub confidence: f64,
    pub direction: Option<String>,
    pub lane: Option<i64>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub colour: Option<String>,
    pub has_plate_image: bool,
    pub has_overview_image: bool,
    /// The latest verification's outcome, if the read has been checked (R15).
    #[serde(default)]
    pub verdict: Option<crate::verification::Verdict>,
    /// The plate the images show, when the latest verification found a misread (R16). The
    /// plate as read stays in `plate`.
    #[serde(default)]
    pub corrected_plate: Option<String>,
}

impl ReadView {
    /// The plate to go by: the correction if there is one, else the plate as read.
    pub fn best_plate(&self) -> &str {
        self.corrected_plate.as_deref().unwrap_or(&self.plate)
    }

    /// The vehicle as the camera recorded it: colour, make and model, where given.
    pub fn vehicle(&self) -> String {
        [&self.colour, &self.make, &self.model].into_iter().flatten().cloned().collect::<Vec<_>>().join(" ")
    }
}

/// A refused payload kept for an admin to inspect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadLetter {
    pub id: i64,
    pub feed_id: Option<i64>,
    pub received_at: DateTime<Utc>,
    pub format: String,
    pub reason: String,
    /// The payload as received (truncated to 64 KiB).
    pub payload: String,
}

/// The query of `GET /ingest/dead-letters`: the newest this many.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct DeadLettersQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}
