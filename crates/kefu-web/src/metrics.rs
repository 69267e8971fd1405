//! Prometheus metrics: requests and latency by route (the matched pattern, not the raw path, so
//! ids do not explode the label set), database pool use, and the job queue by status.

use crate::WebState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LatencyLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    pub status: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    latency: Family<LatencyLabels, Histogram>,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    jobs: Family<StatusLabel, Gauge>,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kefu");
        let requests = Family::<RouteLabels, Counter>::default();
        let latency = Family::<LatencyLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        let (pool_size, pool_idle, pool_max) = (Gauge::default(), Gauge::default(), Gauge::default());
        let jobs = Family::<StatusLabel, Gauge>::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register("db_pool_connections", "Open database connections", pool_size.clone());
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Most database connections the pool opens",
            pool_max.clone(),
        );
        registry.register("jobs", "Jobs in the queue by status", jobs.clone());
        Metrics {
            registry,
            requests,
            latency,
            pool_size,
            pool_idle,
            pool_max,
            jobs,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

pub async fn track(State(state): State<WebState>, req: Request, next: Next) -> Response {
    // A method kefu does not answer (405) gets no series of its own: labels stay bounded.
    if !crate::security::KNOWN_METHODS.contains(req.method()) {
        return next.run(req).await;
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let m = &state.metrics;
    m.latency
        .get_or_create(&LatencyLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(start.elapsed().as_secs_f64());
    m.requests
        .get_or_create(&RouteLabels {
            method,
            route,
            status: res.status().as_u16(),
        })
        .inc();
    res
}

/// `/metrics` on the main listener: absent (404) when `metrics_listen` serves it apart.
pub async fn serve_main(state: State<WebState>, headers: axum::http::HeaderMap) -> Response {
    if !state.config.metrics_on_main {
        return crate::api::not_found().await;
    }
    serve(state, headers).await
}

/// The metrics in the OpenMetrics text format; with `metrics_token` set, only for a request that
/// carries it as `Authorization: Bearer …` (401 otherwise). docs/operations.md.
pub async fn serve(State(state): State<WebState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(want) = state.config.metrics_token.as_deref() {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !kefu_app::auth::constant_time_eq(given.trim().as_bytes(), want.as_bytes()) {
            return crate::error::problem(
                axum::http::StatusCode::UNAUTHORIZED,
                "unauthorized",
                Some("the metrics need the metrics token (Authorization: Bearer …)".into()),
                vec![],
            );
        }
    }
    let m = &state.metrics;
    let p = state.app.pool_stats();
    m.pool_size.set(i64::from(p.size));
    m.pool_idle.set(i64::from(p.idle));
    m.pool_max.set(i64::from(p.max));
    if let Ok(counts) = state.app.job_counts().await {
        for s in kefu_app::model::JobStatus::ALL {
            let n = counts.iter().find(|(st, _)| *st == s).map(|(_, n)| *n).unwrap_or(0);
            m.jobs
                .get_or_create(&StatusLabel {
                    status: s.as_str().to_owned(),
                })
                .set(n);
        }
    }
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &m.registry).is_err() {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut res = out.into_response();
    // What prometheus-client writes is OpenMetrics (a counter's TYPE names it without `_total`):
    // read as the older text format, counters would lose their type and help.
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    res
}
