//! The manager's headline figures (the home page of managers and admins): for SERVQUAL, NPS, CSAT
//! and CES, the newest survey of that kind with answers, over the last twelve months — its
//! figure with its interval, its month-by-month trend and, for SERVQUAL, the two weakest
//! dimensions, the short planks (docs/statistics.md#trend, #dimension-gaps). Read from the
//! surveys' kept statistics, never from the answers.

use super::{SurveyReport, require_survey_manager};
use crate::{Actor, App, AppResult};
use kefu_core::survey::SurveyKind;

/// The kinds the headline shows, in its order.
const HEADLINE_KINDS: [SurveyKind; 4] = [SurveyKind::Servqual, SurveyKind::Nps, SurveyKind::Csat, SurveyKind::Ces];

/// The months a headline covers, the current one included.
pub const HEADLINE_MONTHS: i64 = 12;

/// One kind's headline: the report it is read from (covering [`HEADLINE_MONTHS`] whole months).
#[derive(Debug, Clone)]
pub struct Headline {
    pub report: SurveyReport,
    /// SERVQUAL's dimensions with the widest negative gaps first: (code, gap), at most two.
    pub weakest: Vec<(String, f64)>,
}

impl App {
    /// The headline of each kind that has a survey with answers (managers and admins).
    pub async fn quality_headlines(&self, actor: &Actor) -> AppResult<Vec<Headline>> {
        require_survey_manager(actor)?;
        let surveys = self.list_surveys(actor).await?;
        let tz = self.time_zone().await;
        let today = self.now_ts().to_zoned(tz).date();
        let first = today
            .first_of_month()
            .checked_sub(jiff::Span::new().months(HEADLINE_MONTHS - 1))
            .unwrap_or(today);
        let from = first.strftime("%Y-%m").to_string();
        let mut out = Vec::new();
        for kind in HEADLINE_KINDS {
            let Some((survey, _)) = (surveys.iter())
                .filter(|(s, answered)| s.kind == kind && *answered > 0)
                .max_by_key(|(s, _)| (s.created_at, s.id))
            else {
                continue;
            };
            let report = self.survey_report(actor, survey.id, None, Some(&from), None).await?;
            let mut weakest: Vec<(String, f64)> = (report.servqual.iter())
                .flat_map(|s| &s.dimensions)
                .filter_map(|d| Some((d.dimension.clone(), d.gap_mean?)))
                .collect();
            weakest.sort_by(|a, b| a.1.total_cmp(&b.1));
            weakest.truncate(2);
            out.push(Headline { report, weakest });
        }
        Ok(out)
    }
}
