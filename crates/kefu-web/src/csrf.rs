//! CSRF protection for every state-changing browser request, in one layer: a POST (or other
//! unsafe method) to a page must carry the session's CSRF secret in its `csrf` form field (a part
//! of a multipart upload form) or
//! `X-CSRF-Token` header; before login, the form's value must match the `kefu_csrf` cookie
//! (double submit). The API is exempt: it authenticates by bearer token, which a browser never
//! sends on its own. Cross-origin requests are refused outright by their Origin header.

use crate::WebState;
use crate::auth::{PRE_CSRF_COOKIE, cookie};
use crate::identity::Identity;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use kefu_app::auth::constant_time_eq;

pub async fn verify(State(state): State<WebState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !unsafe_method || req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let Some(id) = req.extensions().get::<Identity>().cloned() else {
        return next.run(req).await;
    };
    let refuse = |id: &Identity| crate::error::csrf_failure(id);
    // A browser always sends Origin on a cross-site POST; same-site ones must match our host.
    if let (Some(origin), Some(host)) = (req.headers().get(header::ORIGIN), req.headers().get(header::HOST)) {
        let o = origin.to_str().unwrap_or("");
        let h = host.to_str().unwrap_or("");
        let origin_host = o.split_once("://").map(|(_, rest)| rest).unwrap_or("");
        if o != "null" && origin_host != h {
            return refuse(&id);
        }
    }
    let expected = match &id.session {
        Some((_, secret)) => secret.clone(),
        None => match cookie(req.headers(), PRE_CSRF_COOKIE) {
            Some(c) if c.len() >= 20 => c.to_owned(),
            _ => return refuse(&id),
        },
    };
    if let Some(h) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(h.as_bytes(), expected.as_bytes()) {
            next.run(req).await
        } else {
            refuse(&id)
        };
    }
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| ct.starts_with("multipart/form-data"))
        .map(str::to_owned);
    // A file upload form may be as large as an attachment; every other form keeps the general limit.
    let limit = if multipart.is_some() && req.uri().path().ends_with("/attachments") {
        state.upload_limit()
    } else {
        state.config.body_limit
    };
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return crate::error::too_large(&id),
    };
    // A multipart form's token is one of its parts.
    let given = match &multipart {
        Some(ct) => multipart_field(ct, &bytes, "csrf").await,
        None => crate::form::field(&bytes, "csrf"),
    };
    if !given
        .as_deref()
        .is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes()))
    {
        return refuse(&id);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The text of the first part named `name` of a multipart/form-data body (already read whole, and
/// bounded by the caller; axum's extractor would apply its own 2 MiB limit to the one large chunk).
async fn multipart_field(content_type: &str, bytes: &axum::body::Bytes, name: &str) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let body = bytes.clone();
    let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}
