//! The one place where errors become HTTP: a status per `AppError` kind, rendered as
//! `application/problem+json` (RFC 9457) for the API and as an HTML page for the UI (the error
//! page, and the refusals the CSRF layer answers with).

use crate::identity::Identity;
use crate::layout::{Chrome, render_status};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kefu_app::AppError;
use serde::Serialize;

pub const PROBLEM_BASE: &str = "https://kefu.dev/problems/";

/// The status and problem type of an application error.
pub fn classify(e: &AppError) -> (StatusCode, &'static str) {
    match e {
        AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        AppError::NotFound => (StatusCode::NOT_FOUND, "not-found"),
        AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::BadCredentials | AppError::Disabled => (StatusCode::UNAUTHORIZED, "unauthorized"),
        AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate-limited"),
        AppError::Refused(_) => (StatusCode::CONFLICT, "refused"),
        AppError::Cycle => (StatusCode::CONFLICT, "cycle"),
        AppError::Store(kefu_app::model::StoreError::Unavailable(_)) => {
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        AppError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Per-field errors of an invalid input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<kefu_core::FieldError>,
}

/// An API error: becomes problem+json.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}
impl From<kefu_core::Invalid> for ApiError {
    fn from(e: kefu_core::Invalid) -> Self {
        ApiError(AppError::Invalid(e))
    }
}

pub fn problem(status: StatusCode, kind: &str, detail: Option<String>, errors: Vec<kefu_core::FieldError>) -> Response {
    let body = Problem {
        kind: format!("{PROBLEM_BASE}{kind}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        errors,
    };
    let mut res = (status, serde_json::to_string(&body).unwrap_or_default()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"kefu\""),
        );
    }
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind) = classify(&self.0);
        if status.is_server_error() {
            tracing::error!(error = %self.0, "request failed");
        }
        let detail = match &self.0 {
            // Internal details stay in the log.
            AppError::Store(_) if status == StatusCode::INTERNAL_SERVER_ERROR => {
                "an internal error occurred; it has been logged".to_owned()
            }
            other => other.to_string(),
        };
        let retry_after = retry_after(&self.0);
        let errors = match self.0 {
            AppError::Invalid(i) => i.errors,
            _ => vec![],
        };
        with_retry_after(problem(status, kind, Some(detail), errors), retry_after)
    }
}

/// The seconds a refused client should wait, for a rate limit.
fn retry_after(e: &AppError) -> Option<u64> {
    match e {
        AppError::RateLimited { retry_after_s } => Some(*retry_after_s),
        _ => None,
    }
}

/// A 429 says when to come back (`Retry-After`), on pages as in the API.
fn with_retry_after(mut res: Response, seconds: Option<u64>) -> Response {
    if let Some(s) = seconds
        && let Ok(v) = HeaderValue::from_str(&s.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: Chrome,
    pub status: u16,
    pub message: String,
}

pub fn error_page(id: &Identity, e: AppError) -> Response {
    let (status, _) = classify(&e);
    let t = id.tr();
    let message = match &e {
        AppError::NotFound => t.t("error.not_found").to_owned(),
        AppError::Forbidden => t.t("error.forbidden").to_owned(),
        AppError::RateLimited { retry_after_s } => {
            t.f("public.rate_limited", &[("minutes", &retry_after_s.div_ceil(60))])
        }
        AppError::Store(_) => {
            tracing::error!(error = %e, "page failed");
            t.t("error.internal").to_owned()
        }
        other => other.to_string(),
    };
    let page = render_status(
        status,
        ErrorPage {
            page: Chrome::new(id, "", "error.title"),
            status: status.as_u16(),
            message,
        },
    );
    with_retry_after(page, retry_after(&e))
}

pub fn csrf_failure(id: &Identity) -> Response {
    let t = id.tr();
    render_status(
        StatusCode::FORBIDDEN,
        ErrorPage {
            page: Chrome::new(id, "", "error.title"),
            status: 403,
            message: t.t("error.csrf").to_owned(),
        },
    )
}

pub fn too_large(id: &Identity) -> Response {
    let t = id.tr();
    render_status(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorPage {
            page: Chrome::new(id, "", "error.title"),
            status: 413,
            message: t.t("error.too_large").to_owned(),
        },
    )
}
