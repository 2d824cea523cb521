//! Exports of a search's results (R14, R20): CSV or XLSX, marked and recorded as a disclosure.

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::export::{self, ExportFile};
use crate::http::extract::{ApiJson, ApiPath, Investigator};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use shared::endpoints::SEARCH_EXPORT;
use shared::export::NewExport;
use shared::AuditAction;

pub fn router() -> Router<AppState> {
    Router::new().route(SEARCH_EXPORT, post(export_results))
}

/// A file download that no cache keeps (R1: personal data).
pub(crate) fn download(file: ExportFile) -> AppResult<Response> {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename.replace('"', "")))
        .map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(file.format.content_type())),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        ],
        file.bytes,
    )
        .into_response())
}

async fn export_results(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewExport>,
) -> AppResult<Response> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = serde_json::json!({ "search_id": id, "export": new });
    let file = export::search_results(db, now, &state.config.access, &investigator, id, new).await;
    download(audit::noting_refusal(file, db, now, Actor::user(&investigator), AuditAction::ExportRefused, asked).await?)
}
