//! Ticket attachments over the API: upload (the raw file as the body), list, and download with
//! headers that keep a hostile file inert in the browser.

use super::{ApiPath, ApiQuery};
use crate::WebState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kefu_app::attachments::{Upload, Visibility};
use kefu_app::model::Attachment;
use kefu_core::Invalid;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct AttachmentDto {
    pub id: i64,
    pub ticket_id: i64,
    pub message_id: Option<i64>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub inline: bool,
    /// `internal` (the staff only) or `shared` (the customer too).
    #[schema(example = "internal")]
    pub visibility: &'static str,
    pub created_at: i64,
    /// Where to download it with the same bearer token (pages link to `/attachments/{id}`).
    pub url: String,
}

impl From<Attachment> for AttachmentDto {
    fn from(a: Attachment) -> Self {
        AttachmentDto {
            url: format!("/api/v1/attachments/{}", a.id),
            id: a.id,
            ticket_id: a.ticket_id,
            message_id: a.message_id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            inline: a.inline,
            visibility: if a.shared { "shared" } else { "internal" },
            created_at: a.created_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, e.g. `发票.pdf`.
    pub filename: Option<String>,
    /// The message of this ticket the file belongs to.
    pub message_id: Option<i64>,
    /// `internal` (the default for staff: the customer does not see it) or `shared`. A customer's
    /// files are always shared.
    #[param(value_type = Option<String>, pattern = "^(internal|shared)$")]
    pub visibility: Option<String>,
}

/// Attaches one file: the request body is the file, `Content-Type` its type, `?filename=` its name.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path), UploadQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentDto), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn upload(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let Ok(body) = body else {
        return Ok(crate::error::problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            Some(format!(
                "the file is larger than the limit of {} bytes",
                state.app.config.attachments.max_bytes
            )),
            vec![],
        ));
    };
    let filename = q
        .filename
        .filter(|f| !f.trim().is_empty())
        .ok_or_else(|| Invalid::one("filename", "required", "give the file's name as ?filename="))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let visibility = q.visibility.as_deref().map(Visibility::parse).transpose()?;
    let upload = Upload {
        filename,
        content_type,
        bytes: body.to_vec(),
        ..Default::default()
    };
    let mut stored = state
        .app
        .attach(&caller.actor(), id, q.message_id, visibility, vec![upload])
        .await?;
    let a = stored.remove(0);
    Ok((StatusCode::CREATED, Json(AttachmentDto::from(a))).into_response())
}

/// The files on a ticket (a customer sees the shared ones, none on internal notes).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Vec<AttachmentDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AttachmentDto>>, ApiError> {
    let files = state.app.ticket_attachments(&caller.actor(), id).await?;
    Ok(Json(files.into_iter().map(AttachmentDto::from).collect()))
}

/// Types a browser may show in place: pictures it renders without running anything.
fn shown_inline(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/bmp" | "image/avif"
    )
}

/// `attachment; filename="fapiao.pdf"; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf` (RFC 6266): an ASCII
/// fallback for old clients, the real name percent-encoded.
pub fn content_disposition(filename: &str, inline: bool) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC);
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Downloads a file (`/api/v1/attachments/{id}` with a token, `/attachments/{id}` signed in). Pictures are shown in place; everything else is a download. Either way the
/// browser is told not to sniff the type, and the response runs no script (CSP sandbox).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", params(("id" = i64, Path)), tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Vec<u8>, content_type = "application/octet-stream"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn download(
    State(state): State<WebState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let (a, bytes) = state.app.attachment_content(&caller.actor(), id).await?;
    let inline = shown_inline(&a.content_type);
    let content_type = if inline {
        a.content_type.as_str()
    } else {
        "application/octet-stream"
    };
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, value(content_type));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&content_disposition(&a.filename, inline))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; sandbox"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=0"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_carry_chinese_names_safely() {
        assert_eq!(
            content_disposition("发票 1.pdf", false),
            "attachment; filename=\"__ 1.pdf\"; filename*=UTF-8''%E5%8F%91%E7%A5%A8%201%2Epdf"
        );
        assert_eq!(
            content_disposition("a\"b.png", true),
            "inline; filename=\"a_b.png\"; filename*=UTF-8''a%22b%2Epng"
        );
    }
}
