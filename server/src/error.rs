//! One error type for the whole API. Client mistakes become a 4xx whose message names what is
//! wrong; server faults are logged once, here, and the client sees no internals.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::export::ExportError;
use shared::locker::LockerError;
use shared::requests::RequestError;
use shared::search::SearchError;
use shared::verification::VerificationError;
use shared::{AccountError, ErrorBody, FieldProblem, Validate};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request's body, path or query could not be read; the status is the extractor's
    /// (400, 413, 415 or 422).
    #[error("{message}")]
    Rejected { status: StatusCode, message: String },
    /// Well-formed but not acceptable (a rule of the domain says no): 422.
    #[error("{0}")]
    Invalid(String),
    /// A form with a problem in one or more fields, every one named: 422.
    #[error("{}", shared::form::summary(.0))]
    Fields(Vec<FieldProblem>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_secs: i64 },
    /// The server is too busy to take this now (its password checks are all taken): 503.
    #[error("{message}")]
    Unavailable { message: String, retry_after_secs: i64 },
    #[error(transparent)]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        AppError::Internal(e.into())
    }

    /// Refuses `form` with every problem it has, field by field, or lets it through.
    pub fn unless_valid(form: &impl Validate) -> AppResult<()> {
        let problems = form.field_problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AppError::Fields(problems))
        }
    }

    /// Refuses a form for one field's problem, found only on the server (against stored state).
    pub fn field(field: &str, message: String) -> Self {
        AppError::Fields(vec![FieldProblem { field: field.into(), message }])
    }

    /// No valid session accompanied the request.
    pub fn not_signed_in() -> Self {
        AppError::Unauthorized("sign in first".into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Rejected { status, .. } => *status,
            AppError::Invalid(_) | AppError::Fields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            AppError::Internal(e) => {
                tracing::error!(error = %e, "request failed");
                "the server could not complete this request".to_owned()
            }
            other => other.to_string(),
        };
        let fields = match self {
            AppError::Fields(ref problems) => problems.clone(),
            _ => Vec::new(),
        };
        let mut response = (status, Json(ErrorBody { error: message, fields })).into_response();
        if let AppError::TooManyRequests { retry_after_secs, .. } | AppError::Unavailable { retry_after_secs, .. } =
            self
        {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}

macro_rules! invalid {
    ($($error:ty),+) => {$(
        impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                AppError::Invalid(e.to_string())
            }
        }
    )+};
}
invalid!(AccountError, RequestError, SearchError, VerificationError, LockerError, ExportError);

macro_rules! rejection {
    ($($rejection:ty),+) => {$(
        impl From<$rejection> for AppError {
            fn from(r: $rejection) -> Self {
                AppError::Rejected { status: r.status(), message: r.body_text() }
            }
        }
    )+};
}
rejection!(JsonRejection, PathRejection, QueryRejection);
