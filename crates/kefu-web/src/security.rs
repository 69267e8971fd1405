//! Response hardening: security headers on every response (a Content-Security-Policy without
//! inline script), request spans with their id, panics turned into a plain 500, and state-changing
//! requests run in a task of their own so a client that disconnects cannot cancel database work
//! half-way (sqlx 0.9.0 leaves a cancelled `begin()` idle in a transaction: sqlx #4385).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, Response, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The methods kefu answers; any other (TRACE, CONNECT, made-up ones) is 405 before it reaches
/// the CSRF check or a route, and adds no series to the metrics.
pub const KNOWN_METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

pub async fn known_methods(req: Request, next: Next) -> axum::response::Response {
    // Pages and the operations endpoints take GET and POST only: anything else is 405 there
    // before the CSRF check would call it a forged form.
    let path = req.uri().path();
    let ops = matches!(path, "/healthz" | "/readyz" | "/metrics");
    let page_method = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || (*req.method() == Method::POST && !ops);
    if KNOWN_METHODS.contains(req.method()) && (page_method || req.uri().path().starts_with("/api/")) {
        return next.run(req).await;
    }
    let allow = if req.uri().path().starts_with("/api/") {
        "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    } else if ops {
        "GET, HEAD"
    } else {
        "GET, HEAD, POST"
    };
    let mut res = crate::api::method_not_allowed(req.uri().clone()).await;
    res.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}

pub async fn headers(req: Request, next: Next) -> axum::response::Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // A handler that serves files (attachments) sets a stricter policy of its own.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

pub async fn detach_writes(req: Request, next: Next) -> axum::response::Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    match tokio::spawn(next.run(req)).await {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(error = %e, "request task failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The request's span: its method, its route (`/s/{token}`, never the path itself: tokens in
/// paths — follow, survey, invitation, incident links — must not reach the logs; docs/operations.md)
/// and its request id.
pub fn make_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("(no route)", |p| p.as_str());
    tracing::info_span!("request", method = %req.method(), route = %route, request_id = %id)
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked");
    let mut r = (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
