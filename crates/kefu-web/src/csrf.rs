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
    // A browser always sends Origin on a cross-site POST; same-site ones must be this site.
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()));
        if !same_site(
            origin.to_str().unwrap_or(""),
            host,
            state.app.config.public_url.as_deref(),
        ) {
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

/// Whether a POST's `Origin` is this site: the host the request was sent to (kefu reached directly),
/// or the origin of `public_url` (behind a reverse proxy that rewrites `Host`, as nginx does by
/// default: docs/operations.md). `null` (a privacy-preserving browser) and a request whose host is
/// unknown are left to the token check.
fn same_site(origin: &str, host: Option<&str>, public_url: Option<&str>) -> bool {
    if origin == "null" || (host.is_none() && public_url.is_none()) {
        return true;
    }
    let Some((_, authority)) = origin.split_once("://") else {
        return false;
    };
    host.is_some_and(|h| h.eq_ignore_ascii_case(authority))
        || public_url
            .and_then(origin_of)
            .is_some_and(|p| p.eq_ignore_ascii_case(origin))
}

/// `scheme://host[:port]` of a URL as a browser writes it in `Origin` (no default port, no path).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("https", Some((h, "443"))) | ("http", Some((h, "80"))) => h,
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
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

#[cfg(test)]
mod tests {
    use super::same_site;

    #[test]
    fn origin_is_this_host_or_the_public_url() {
        // Reached directly.
        assert!(same_site("http://127.0.0.1:8080", Some("127.0.0.1:8080"), None));
        assert!(!same_site("https://evil.example", Some("127.0.0.1:8080"), None));
        // Behind nginx, which sends `Host: 127.0.0.1:8080` upstream.
        let public = Some("https://kefu.example.com/");
        assert!(same_site("https://kefu.example.com", Some("127.0.0.1:8080"), public));
        assert!(same_site(
            "https://KEFU.example.com",
            Some("127.0.0.1:8080"),
            Some("https://kefu.example.com:443")
        ));
        assert!(same_site(
            "https://kefu.example.com",
            Some("127.0.0.1:8080"),
            Some("https://kefu.example.com/kefu")
        ));
        for bad in [
            "http://kefu.example.com",
            "https://kefu.example.com:8443",
            "https://kefu.example.com.evil.example",
            "https://evil.example",
            "kefu.example.com",
            "",
        ] {
            assert!(!same_site(bad, Some("127.0.0.1:8080"), public), "{bad}");
        }
        assert!(same_site("null", Some("127.0.0.1:8080"), public));
    }
}
