//! `POST /surveys/{id}/primary`: a manager makes the survey its kind's primary survey — the one
//! the dashboard's headline, the gap page and the agents' ratings read (docs/surveys.md#primary-surveys)
//! — or lets the kind fall back to the newest survey with answers.

use crate::WebState;
use crate::auth::Caller;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct PrimaryForm {
    /// `1` to pick the survey, `0` to unpick it.
    primary: String,
}

pub async fn set(
    State(state): State<WebState>,
    caller: Caller,
    Path(survey_id): Path<i64>,
    axum::Form(f): axum::Form<PrimaryForm>,
) -> Response {
    let result = match f.primary.trim() {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(kefu_app::AppError::Invalid(kefu_core::Invalid::one(
            "primary",
            "not_a_choice",
            "primary must be 1 or 0",
        ))),
    };
    let result = match result {
        Ok(primary) => state.app.set_primary_survey(&caller.actor(), survey_id, primary).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => crate::pages::done(&format!("/surveys/{survey_id}"), "survey_primary"),
        Err(e) => crate::pages::error_page(&caller.identity, e),
    }
}
