//! Health and readiness: `/healthz` says the process is up; `/readyz` that the database answers
//! and its schema is this build's.

use crate::WebState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "ok")))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Ready {
    pub ready: bool,
    pub database: String,
    pub schema: String,
    /// `ok`, or the calendars in use that do not know the next 60 days' holidays: a warning,
    /// not a reason to take kefu out of service.
    pub calendars: String,
}

/// The database is reachable and migrated to this build's schema.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = Ready), (status = 503, body = Ready)))]
pub async fn readyz(State(state): State<WebState>) -> (StatusCode, Json<Ready>) {
    let readiness = state.app.readiness().await;
    let ready = readiness.is_ready();
    let kefu_app::operations::Readiness {
        database,
        schema,
        calendars,
    } = readiness;
    (
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(Ready {
            ready,
            database,
            schema,
            calendars,
        }),
    )
}
