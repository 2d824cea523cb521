//! The yearly figures for oversight bodies (R23), for auditors: as JSON or CSV.

use crate::audit::{self, Actor, Event};
use crate::error::{AppError, AppResult};
use crate::export::ExportFile;
use crate::http::exports::download;
use crate::http::extract::{ApiPath, Auditor};
use crate::oversight;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use shared::endpoints::{OVERSIGHT_YEAR, OVERSIGHT_YEAR_CSV};
use shared::export::ExportFormat;
use shared::oversight::Figures;
use shared::AuditAction;

pub fn router() -> Router<AppState> {
    Router::new().route(OVERSIGHT_YEAR, get(figures)).route(OVERSIGHT_YEAR_CSV, get(figures_csv))
}

async fn audited_figures(state: &AppState, auditor: &shared::UserView, year: i32) -> AppResult<Figures> {
    let now = state.clock.now();
    let figures =
        oversight::figures(&state.db, now, year, state.config.oversight.min_count).await?.ok_or_else(|| {
            AppError::Invalid(format!(
                "{year} is not a year the figures can cover: from {} to {}",
                crate::access::policy::FIRST_YEAR,
                chrono::Datelike::year(&now)
            ))
        })?;
    audit::record_alone(
        &state.db,
        now,
        Event::new(Actor::user(auditor), AuditAction::OversightFiguresViewed).details(json!({ "year": year })),
    )
    .await?;
    Ok(figures)
}

async fn figures(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiPath(year): ApiPath<i32>,
) -> AppResult<Json<Figures>> {
    Ok(Json(audited_figures(&state, &auditor, year).await?))
}

async fn figures_csv(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiPath(year): ApiPath<i32>,
) -> AppResult<Response> {
    let figures = audited_figures(&state, &auditor, year).await?;
    let bytes = oversight::csv(&figures);
    download(ExportFile { format: ExportFormat::Csv, filename: format!("anpr-figures-{year}.csv"), bytes })
}
