//! kefu's web layer: server-rendered pages (askama), the REST API `/api/v1` with its OpenAPI
//! document, authentication (session cookies for pages, bearer tokens for the API), CSRF,
//! security headers, i18n, metrics and health. Handlers translate HTTP to `kefu-app` calls and
//! back; no use case lives here. Errors become responses in one place (`error.rs`).

mod access;
mod api;
/// The dashboard's JSON as the API answers it (`kefu report dashboard` prints the same).
pub use api::dashboards::DashboardDto;
pub use api::gaps::GapsDto;
mod assets;
mod auth;
mod charts;
mod csrf;
mod download;
mod error;
mod form;
pub mod i18n;
mod identity;
mod layout;
mod metrics;
mod pages;
mod routes;
mod security;

pub use access::{Access, RouteDef};
pub use routes::route_table;

use axum::Router;
use kefu_app::App;
use std::sync::Arc;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// `Some(true)`: cookies always `Secure`; `Some(false)`: never; `None`: unless served to a loopback host over http.
    pub cookie_secure: Option<bool>,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a reverse proxy that sets it;
    /// otherwise any client could choose its own address and dodge the login rate limit).
    pub trust_forwarded_for: bool,
    /// With `trust_forwarded_for`: how many reverse proxies stand before kefu (1: the client is the
    /// rightmost `X-Forwarded-For` entry, the one the proxy appended).
    pub forwarded_hops: u32,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
    /// Serve `/metrics` on the main listener (false when `metrics_listen` serves it apart).
    pub metrics_on_main: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            cookie_secure: None,
            body_limit: 1 << 20,
            trust_forwarded_for: false,
            forwarded_hops: 1,
            metrics_token: None,
            metrics_on_main: true,
        }
    }
}

#[derive(Clone)]
pub struct WebState {
    pub app: App,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<metrics::Metrics>,
}

impl WebState {
    /// The body limit of an upload: as large as an attachment may be, plus room for the request
    /// around it (every other route keeps the general limit).
    pub(crate) fn upload_limit(&self) -> usize {
        self.config.body_limit.max(
            usize::try_from(self.app.config.attachments.max_bytes)
                .unwrap_or(usize::MAX)
                .saturating_add(64 << 10),
        )
    }
}

/// The whole HTTP surface of kefu.
pub fn router(app: App, config: WebConfig) -> Router {
    routers(app, config).0
}

/// The whole HTTP surface, and a router of `/metrics` alone over the same counters (for
/// `metrics_listen`: the metrics on an address of their own, e.g. one only the monitoring reaches).
pub fn routers(app: App, config: WebConfig) -> (Router, Router) {
    let state = WebState {
        app,
        config: Arc::new(config),
        metrics: Arc::new(metrics::Metrics::new()),
    };
    let metrics_only = Router::new()
        .route("/metrics", axum::routing::get(metrics::serve))
        .with_state(state.clone());
    (routes::build(state), metrics_only)
}
