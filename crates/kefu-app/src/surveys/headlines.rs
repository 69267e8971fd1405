//! The manager's headline figures (the home page of managers and admins): for SERVQUAL, NPS, CSAT
//! and CES, the kind's primary survey — the one a manager picked, by default the newest of that
//! kind with answers —, over the last twelve months — its
//! figure with its interval, its month-by-month trend and, for SERVQUAL, the two weakest
//! dimensions, the short planks (docs/statistics.md#trend, #dimension-gaps). Read from the
//! surveys' kept statistics, never from the answers.

use super::{SurveyReport, require_survey_manager};
use crate::{Actor, App, AppResult};
use kefu_core::Invalid;
use kefu_core::survey::SurveyKind;
use kefu_store::Survey;
use std::collections::BTreeMap;

/// The kinds the headline shows, in its order.
pub const HEADLINE_KINDS: [SurveyKind; 4] = [SurveyKind::Servqual, SurveyKind::Nps, SurveyKind::Csat, SurveyKind::Ces];

/// The setting that names each kind's primary survey: `{"csat": 7, "servqual": 3}`.
const PRIMARY_SURVEYS: &str = "primary_surveys";

/// Each kind's primary survey among `surveys` (all of them, with whether each has answers): the
/// one picked (`chosen`, kind code → id) while it exists and is of that kind, else the newest of
/// the kind with answers.
fn primary_of<'a>(
    kind: SurveyKind,
    chosen: &BTreeMap<String, i64>,
    surveys: &'a [(Survey, bool)],
) -> Option<&'a Survey> {
    let picked = chosen
        .get(kind.as_str())
        .and_then(|id| (surveys.iter()).map(|(s, _)| s).find(|s| s.id == *id && s.kind == kind));
    picked.or_else(|| {
        (surveys.iter())
            .filter(|(s, answered)| s.kind == kind && *answered)
            .map(|(s, _)| s)
            .max_by_key(|s| (s.created_at, s.id))
    })
}

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
    /// in `segment`, from the kind's primary survey. Surveys that do not keep
    /// the segment (their statistics are cut by fewer fields than the tickets') give no figure.
    /// The caller has checked the actor may read aggregates.
    pub(crate) async fn quality_figures(
        &self,
        from: &str,
        to: Option<&str>,
        segment: &str,
    ) -> AppResult<Vec<Headline>> {
        // A segment or a month the survey figures cannot read gives no headline.
        let parsed = (super::statistics::parse_segment(Some(segment))).and_then(|s| {
            Ok((
                s,
                super::parse_period("from", Some(from))?,
                super::parse_period("to", to)?,
            ))
        });
        let Ok((segment, from, to)) = parsed else {
            return Ok(vec![]);
        };
        let surveys = self.store.surveys_answered().await?;
        let chosen = self.chosen_primaries().await?;
        // One survey-statistics epoch for every headline, read before any of them.
        let epoch = self.store.survey_stats_epoch().await?;
        let mut out = Vec::new();
        for kind in HEADLINE_KINDS {
            let Some(survey) = primary_of(kind, &chosen, &surveys) else {
                continue;
            };
            let report = match self
                .report_under(survey.id, segment.clone(), from.clone(), to.clone(), epoch)
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

    /// The primary surveys a manager picked: kind code → survey id (kinds not picked are absent).
    async fn chosen_primaries(&self) -> AppResult<BTreeMap<String, i64>> {
        Ok(match self.store.get_setting(PRIMARY_SURVEYS).await? {
            Some(v) => serde_json::from_value(v).unwrap_or_default(),
            None => BTreeMap::new(),
        })
    }

    /// The kind's primary survey (docs/surveys.md#primary-surveys): the one picked, by default
    /// the newest of the kind with answers. The dashboard, the gap page's default and the
    /// agent's rating read it.
    pub async fn primary_survey(&self, kind: SurveyKind) -> AppResult<Option<Survey>> {
        let surveys = self.store.surveys_answered().await?;
        let chosen = self.chosen_primaries().await?;
        Ok(primary_of(kind, &chosen, &surveys).cloned())
    }

    /// Whether survey `id` is its kind's primary survey, and whether a manager picked it (else
    /// it is the default, or not primary).
    pub async fn primary_state(&self, actor: &Actor, id: i64) -> AppResult<(bool, bool)> {
        require_survey_manager(actor)?;
        let survey = self.store.get_survey(id).await?;
        let picked = self.chosen_primaries().await?.get(survey.kind.as_str()) == Some(&id);
        let primary = self.primary_survey(survey.kind).await?.is_some_and(|s| s.id == id);
        Ok((primary, picked))
    }

    /// Makes survey `id` its kind's primary survey (`primary`), or lets the kind fall back to
    /// the newest survey with answers. Managers and admins; audited. Only SERVQUAL, NPS, CSAT and
    /// CES surveys have a headline.
    pub async fn set_primary_survey(&self, actor: &Actor, id: i64, primary: bool) -> AppResult<()> {
        require_survey_manager(actor)?;
        let survey = self.store.get_survey(id).await?;
        if !HEADLINE_KINDS.contains(&survey.kind) {
            return Err(Invalid::one(
                "survey",
                "no_headline",
                "only SERVQUAL, NPS, CSAT and CES surveys have a headline figure",
            )
            .into());
        }
        let mut chosen = self.chosen_primaries().await?;
        let kind = survey.kind.as_str().to_owned();
        if primary {
            chosen.insert(kind.clone(), id);
        } else if chosen.get(&kind) == Some(&id) {
            chosen.remove(&kind);
        } else {
            return Ok(());
        }
        let value = serde_json::to_value(&chosen).map_err(|e| crate::AppError::Refused(e.to_string()))?;
        self.store.set_setting(PRIMARY_SURVEYS, &value, self.now()).await?;
        self.audit(
            actor,
            if primary {
                "survey.primary.set"
            } else {
                "survey.primary.unset"
            },
            format!("survey:{id}"),
            serde_json::json!({"kind": kind}),
        )
        .await
    }
}
