//! `/surveys/{id}/download?format=csv|xlsx[&segment=…&from=…&to=…]`: the survey report's tables —
//! every figure `GET /api/v1/surveys/{id}/report` gives, one `figure,value` row each, for the
//! segment and months the page shows — as CSV or XLSX, audited (`survey_report.download`), with
//! the export's formula guard.

use crate::WebState;
use crate::auth::Caller;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use kefu_app::figure_table::TableFormat;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct DownloadQuery {
    #[serde(default)]
    segment: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    format: Option<String>,
}

/// A filter given, or `None` when left blank.
fn given(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

pub async fn download(
    State(state): State<WebState>,
    caller: Caller,
    Path(survey_id): Path<i64>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    let actor = caller.actor();
    let result: Result<_, kefu_app::AppError> = async {
        let format = TableFormat::parse(q.format.as_deref().unwrap_or("csv"))?;
        let r = (state.app)
            .survey_report(&actor, survey_id, given(&q.segment), given(&q.from), given(&q.to))
            .await?;
        let title = format!(
            "survey {} “{}”, segment {}, months {} to {}",
            survey_id,
            r.view.survey.title,
            r.segment,
            given(&q.from).unwrap_or("first"),
            given(&q.to).unwrap_or("last")
        );
        let bytes = (state.app)
            .download_figures(
                &actor,
                "survey_report",
                &r.to_json(),
                &title,
                &format!("survey:{survey_id}"),
                format,
            )
            .await?;
        Ok((bytes, format))
    }
    .await;
    match result {
        Ok((bytes, format)) => crate::download::attachment(
            bytes,
            format.content_type(),
            &format!("kefu-survey-{survey_id}.{}", format.extension()),
        ),
        Err(e) => crate::pages::error_page(&caller.identity, e),
    }
}
