//! The annual report for oversight bodies (R23), drawn for a period as JSON, PDF or CSV; how
//! evenly the network watches; the de-identified extract. Drawing each is audited (R21).

use crate::audit::{self, Actor, Event};
use crate::error::{AppError, AppResult};
use crate::export::ExportFile;
use crate::http::exports::download;
use crate::http::extract::{ApiQuery, Auditor, Overseer};
use crate::http::openapi::Binary;
use crate::oversight::{self, Period};
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use shared::endpoints::{OVERSIGHT_EXTRACT, OVERSIGHT_INTENSITY, OVERSIGHT_REPORT};
use shared::export::ExportFormat;
use shared::oversight::{Intensity, PeriodQuery, ReportFormat};
use shared::{AuditAction, UserView};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(report)).routes(routes!(intensity)).routes(routes!(extract))
}

/// The report for the period asked: JSON for the page's preview, or the PDF or the CSV.
/// The period `query` names, or its refusal recorded with what was asked (R21).
async fn period(state: &AppState, user: &UserView, what: &str, query: &PeriodQuery) -> AppResult<Period> {
    let now = state.clock.now();
    let asked = json!({ "what": what, "period": query });
    let actor = Actor::user(user);
    audit::noting_refusal(Period::of(query, now), &state.db, now, actor, AuditAction::OversightRefused, asked).await
}

#[utoipa::path(
    get,
    path = OVERSIGHT_REPORT,
    summary = "The annual report for a period: JSON, PDF or CSV",
    params(PeriodQuery),
    responses((status = 200, description = "The report: JSON (`format=json`, the default), or a PDF or CSV download.", headers(("x-file-length" = u64, description = "With a download: the file's length in bytes (the answer may be compressed on its way)")), content((shared::oversight::Report = "application/json"), (Binary = "application/pdf"), (Binary = "text/csv")))),
    security(("anpr_session" = ["auditor"]))
)]
async fn report(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiQuery(query): ApiQuery<PeriodQuery>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let period = period(&state, &auditor, "report", &query).await?;
    let format = query.format.unwrap_or(ReportFormat::Json);
    let min_count = state.config.oversight.min_count;
    let report = oversight::report::draw(&state.db, now, &auditor, period, min_count, format).await?;
    let name = format!("anpr-annual-report-{}", period.label());
    match format {
        ReportFormat::Json => Ok(Json(report).into_response()),
        ReportFormat::Pdf => download(ExportFile {
            format: ExportFormat::Pdf,
            filename: format!("{name}.pdf"),
            bytes: oversight::report::pdf(&report),
        }),
        ReportFormat::Csv => download(ExportFile {
            format: ExportFormat::Csv,
            filename: format!("{name}.csv"),
            bytes: oversight::report::csv(&report),
        }),
    }
}

/// Records that `user` drew `what` for `period` (figures only, R21).
async fn viewed(state: &AppState, user: &UserView, what: &str, period: Period) -> AppResult<()> {
    let event = Event::new(Actor::user(user), AuditAction::OversightViewed)
        .details(json!({ "what": what, "from": period.from, "to": period.to }));
    audit::record_alone(&state.db, state.clock.now(), event).await?;
    Ok(())
}

/// Reads per camera, grid cell and zone over the period.
#[utoipa::path(
    get,
    path = OVERSIGHT_INTENSITY,
    params(PeriodQuery),
    responses((status = 200, description = "OK", body = Intensity)),
    security(("anpr_session" = ["system_admin"]), ("anpr_session" = ["auditor"]))
)]
async fn intensity(
    State(state): State<AppState>,
    overseer: Overseer,
    ApiQuery(query): ApiQuery<PeriodQuery>,
) -> AppResult<Json<Intensity>> {
    let period = period(&state, &overseer, "intensity", &query).await?;
    let found = oversight::intensity::intensity(&state.db, period, state.config.oversight.min_count).await?;
    viewed(&state, &overseer, "intensity", period).await?;
    Ok(Json(found))
}

/// The de-identified aggregates of at most a year, as CSV.
#[utoipa::path(
    get,
    path = OVERSIGHT_EXTRACT,
    params(PeriodQuery),
    responses((status = 200, description = "The de-identified aggregates, as CSV.", headers(("x-file-length" = u64, description = "The file's length in bytes (the answer may be compressed on its way)")), content((Binary = "text/csv")))),
    security(("anpr_session" = ["auditor"]))
)]
async fn extract(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiQuery(query): ApiQuery<PeriodQuery>,
) -> AppResult<Response> {
    let period = period(&state, &auditor, "extract", &query).await?;
    let days = (period.to - period.from).num_days() + 1;
    if days > oversight::extract::MAX_DAYS {
        let most = oversight::extract::MAX_DAYS;
        let why = AppError::field("to", format!("{days} days asked: an extract covers at most {most}"));
        let asked = json!({ "what": "extract", "period": query, "days": days });
        audit::refused(&state.db, state.clock.now(), Actor::user(&auditor), AuditAction::OversightRefused, asked, &why)
            .await?;
        return Err(why);
    }
    let bytes = oversight::extract::csv(&state.db, period, state.config.oversight.min_count).await?;
    viewed(&state, &auditor, "extract", period).await?;
    let filename = format!("anpr-extract-{}.csv", period.label());
    download(ExportFile { format: ExportFormat::Csv, filename, bytes })
}
