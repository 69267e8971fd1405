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
        let tz = self.time_zone().await;
        let today = self.now_ts().to_zoned(tz).date();
        let first = today
            .first_of_month()
            .checked_sub(jiff::Span::new().months(HEADLINE_MONTHS - 1))
            .unwrap_or(today);
        let from = first.strftime("%Y-%m").to_string();
        self.quality_figures(&from, None, "all").await
    }

    /// Each kind's figure over the months `from` to `to` (`YYYY-MM`, `to` open-ended when `None`)
    /// in `segment`, from the newest survey of that kind with answers. Surveys that do not keep
    /// the segment (their statistics are cut by fewer fields than the tickets') give no figure.
    /// The caller has checked the actor may read aggregates.
    pub(crate) async fn quality_figures(
        &self,
        from: &str,
        to: Option<&str>,
        segment: &str,
    ) -> AppResult<Vec<Headline>> {
        let reader = Actor::System("dashboard");
        let surveys = self.store.surveys_answered().await?;
        let mut out = Vec::new();
        for kind in HEADLINE_KINDS {
            let Some((survey, _)) = (surveys.iter())
                .filter(|(s, answered)| s.kind == kind && *answered)
                .max_by_key(|(s, _)| (s.created_at, s.id))
            else {
                continue;
            };
            let report = match self
                .survey_report(&reader, survey.id, Some(segment), Some(from), to)
                .await
            {
                Ok(r) => r,
                Err(crate::AppError::Invalid(_)) => continue,
                Err(e) => return Err(e),
            };
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
