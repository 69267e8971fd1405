//! A file the browser saves rather than shows: the campaigns' link lists, a page's figures as CSV
//! or XLSX. Never cached: it holds what the caller was allowed to read when it asked.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// `body` as an attachment named `name` (ASCII: the names are kefu's own).
pub fn attachment(body: Vec<u8>, content_type: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}
