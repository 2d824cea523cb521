//! Exports (R14, R20): a search's results as CSV or XLSX, marked and recorded as a disclosure;
//! the exports still out, listed for their keepers and the audit unit; the keeper's answer
//! about one. Every refused listing or answer is recorded as `export_review_refused` (R21).

use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::export::{self, lifecycle, ExportFile};
use crate::http::extract::{needs_role, ApiJson, ApiPath, ApiQuery, Auditor, Capability, Investigator, Involved};
use crate::http::openapi::Binary;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use shared::endpoints::{EXPORTS, EXPORT_REVIEW, SEARCH_EXPORT};
use shared::export::{ExportList, ExportReview, ExportView, ExportsQuery, NewExport, FILE_LENGTH_HEADER};
use shared::AuditAction;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_results)).routes(routes!(exports_out)).routes(routes!(review))
}

/// A file download that no cache keeps (R1: personal data). Its length is said in
/// `x-file-length` too: the answer may be compressed on its way, and the browser shows how much
/// of the file has come.
pub(crate) fn download(file: ExportFile) -> AppResult<Response> {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename.replace('"', "")))
        .map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(file.format.content_type())),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
            (HeaderName::from_static(FILE_LENGTH_HEADER), HeaderValue::from(file.bytes.len())),
        ],
        file.bytes,
    )
        .into_response())
}

#[utoipa::path(
    post,
    path = SEARCH_EXPORT,
    summary = "Export a search's results as a file (CSV, XLSX or PDF)",
    params(("id" = i64, Path, description = "The id")),
    request_body = NewExport,
    responses((status = 200, description = "The file, in the format asked.", headers(("x-file-length" = u64, description = "The file's length in bytes (the answer may be compressed on its way)")), content((Binary = "text/csv"), (Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (Binary = "application/pdf")))),
    security(("anpr_session" = ["investigator"]))
)]
async fn export_results(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewExport>,
) -> AppResult<Response> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = json!({ "search_id": id, "export": new });
    let file = export::search_results(db, now, &state.config, &investigator, id, new).await;
    download(audit::noting_refusal(file, db, now, Actor::user(&investigator), AuditAction::ExportRefused, asked).await?)
}

/// The caller's exports still out and those escalated to them (`which=mine`); every export
/// still out, for auditors (`which=out`), the longest overdue first (R20).
#[utoipa::path(
    get,
    path = EXPORTS,
    params(ExportsQuery),
    responses((status = 200, description = "OK", body = Vec<ExportView>)),
    security(("anpr_session" = ["investigator"]), ("anpr_session" = ["supervisor"]), ("anpr_session" = ["auditor"]))
)]
async fn exports_out(
    State(state): State<AppState>,
    user: Involved,
    ApiQuery(q): ApiQuery<ExportsQuery>,
) -> AppResult<Json<Vec<ExportView>>> {
    let (db, now, config) = (&state.db, state.clock.now(), &state.config);
    let listed = match (q.which, &user) {
        (ExportList::Mine, _) => lifecycle::mine(db, now, config, &user).await,
        (ExportList::Out, Involved::Auditor(auditor)) => lifecycle::out(db, now, config, auditor).await,
        (ExportList::Out, _) => Err(needs_role(&[Auditor::ROLE])),
    };
    let asked = json!({ "which": q.which });
    Ok(Json(audit::noting_refusal(listed, db, now, Actor::user(&user), AuditAction::AccessRefused, asked).await?))
}

/// The keeper's answer about an export (or, once escalated, its supervisor's or the audit
/// unit's): deleted, or still needed until a new date (R20).
#[utoipa::path(
    post,
    path = EXPORT_REVIEW,
    params(("id" = i64, Path, description = "The id")),
    request_body = ExportReview,
    responses((status = 200, description = "OK", body = ExportView)),
    security(("anpr_session" = ["investigator"]), ("anpr_session" = ["supervisor"]), ("anpr_session" = ["auditor"]))
)]
async fn review(
    State(state): State<AppState>,
    user: Involved,
    ApiPath(id): ApiPath<i64>,
    ApiJson(answer): ApiJson<ExportReview>,
) -> AppResult<Json<ExportView>> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = json!({ "export_id": id, "review": answer });
    let answered = lifecycle::review(db, now, &state.config, &user, id, answer).await;
    Ok(Json(
        audit::noting_refusal(answered, db, now, Actor::user(&user), AuditAction::ExportReviewRefused, asked).await?,
    ))
}
