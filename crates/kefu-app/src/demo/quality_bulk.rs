//! The large demo's survey answers in bulk: enough answers (a million, the link-made ones
//! included) that the survey figures are read at the scale a large service desk reaches, written
//! as the CSV import writes them (`import_survey_responses`, a respondent each instead of a link)
//! but each at its own moment over the last year and with the segment an answer through a link
//! would freeze — the customer's tier, kind and region, the ticket's channel, agent, product and
//! department. The survey statistics are then rebuilt from every answer, as
//! `kefu survey rebuild-stats` does, so they hold exactly what the answers say.

use super::quality::{CHANGE_DAYS_AGO, demo_score, servqual_answer, servqual_comment};
use crate::surveys::Answers;
use crate::{Actor, App, AppResult};
use kefu_core::time::DAY_MS;
use kefu_store::{ImportedResponse, TicketFilter};
use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::json;

/// Every answer of the large demo, the link-made ones included.
pub const LARGE_ANSWERS: usize = 1_000_000;

/// Answers written in one transaction.
const BATCH: usize = 50_000;

/// How the bulk answers share out between the demo's surveys (per mille): CSAT after service is
/// the most answered, SERVQUAL the longest.
const SHARES: &[(&str, usize)] = &[
    ("servqual-2026", 200),
    ("csat-after-service", 500),
    ("nps-relationship", 200),
    ("ces-requests", 100),
];

impl App {
    /// Tops the demo's answers up to `total` (`already` are there), spread over the year before
    /// `now`; returns the answers written.
    pub(super) async fn load_demo_answers_bulk(
        &self,
        rng: &mut StdRng,
        already: usize,
        total: usize,
        now: i64,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<usize> {
        let cli = Actor::Cli;
        let want = total.saturating_sub(already);
        if want == 0 {
            return Ok(0);
        }
        let customers = self.demo_end_customers(5_000).await?;
        let tickets = self
            .store
            .list_tickets(&TicketFilter {
                limit: 5_000,
                ..Default::default()
            })
            .await?;
        if customers.is_empty() || tickets.is_empty() {
            return Ok(0);
        }
        let tz = self.time_zone().await;
        let month_of = |at: i64| {
            jiff::Timestamp::from_millisecond(at)
                .map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m").to_string())
                .unwrap_or_else(|_| "1970-01".into())
        };
        let year_ago = now - 365 * DAY_MS;
        let changed = now - CHANGE_DAYS_AGO * DAY_MS;
        let mut written = 0usize;
        for (i, (slug, share)) in SHARES.iter().enumerate() {
            let id = self.survey_id_of(&cli, slug).await?;
            let view = self.get_survey(&cli, id).await?;
            let codes: Vec<(String, String)> = (view.items.iter())
                .map(|i| (i.code.clone(), i.dimension.clone()))
                .collect();
            // The last survey takes what rounding left over.
            let n = if i + 1 == SHARES.len() {
                want - written
            } else {
                want * share / 1000
            };
            let mut rows = Vec::with_capacity(BATCH.min(n));
            for k in 0..n {
                let at = year_ago + rng.random_range(0..365 * DAY_MS - 60_000);
                let after = at >= changed;
                let c = &customers[rng.random_range(0..customers.len())];
                // Answers after service carry their ticket's attributes; the others the customer's.
                let t = (*slug == "csat-after-service" || *slug == "ces-requests")
                    .then(|| &tickets[rng.random_range(0..tickets.len())]);
                let (answers, comment) = match view.survey.kind {
                    kefu_core::SurveyKind::Servqual => {
                        (servqual_answer(rng, &codes, after), servqual_comment(rng, after))
                    }
                    kind => (bulk_score(rng, kind, t.and_then(|t| t.assignee_id), after), ""),
                };
                let segment = json!({
                    "tier": c.value_tier.as_str(),
                    "kind": c.kind.as_str(),
                    "region": Some(c.region.clone()).filter(|r| !r.is_empty()),
                    "channel": t.map(|t| t.channel.as_str()),
                    "agent": t.and_then(|t| t.assignee_id),
                    "product": t.map(|t| t.product.clone()).filter(|p| !p.is_empty()),
                    "department": t.map(|t| t.department_id),
                    "period": month_of(at),
                });
                rows.push(ImportedResponse {
                    respondent: format!("demo-{slug}-{k}"),
                    answers: serde_json::to_string(&answers).map_err(|e| crate::AppError::Refused(e.to_string()))?,
                    comment: comment.to_owned(),
                    segment: segment.to_string(),
                    at,
                });
                if rows.len() == BATCH || k + 1 == n {
                    let none = |_: &str, _: &str, _: Option<&str>| Err("no statistics row is folded here".to_owned());
                    self.store.import_survey_responses(id, &rows, &[], &none, now).await?;
                    written += rows.len();
                    rows.clear();
                    progress((already + written) as u64, total as u64);
                }
            }
            self.rebuild_survey_stats(&cli, slug).await?;
        }
        Ok(written)
    }
}

/// A CSAT, NPS or CES answer as the demo's link-made ones run: better after the change, and one
/// agent in three rated better.
fn bulk_score(rng: &mut StdRng, kind: kefu_core::SurveyKind, agent: Option<i64>, after: bool) -> Answers {
    let lift = if after { 1.0 } else { 0.0 };
    let good_agent = if agent.is_some_and(|a| a % 3 == 0) { 1.0 } else { 0.0 };
    let score = match kind {
        kefu_core::SurveyKind::Nps => {
            let roll = rng.random::<f64>();
            let (promoter, detractor) = (0.40 + 0.08 * lift, 0.25 - 0.07 * lift);
            if roll < promoter {
                rng.random_range(9..=10)
            } else if roll < promoter + detractor {
                rng.random_range(2..=6)
            } else {
                rng.random_range(7..=8)
            }
        }
        kefu_core::SurveyKind::Ces => demo_score(rng, 4.7 + 0.9 * lift, 1.1, 1, 7),
        _ => demo_score(rng, 3.8 + 0.3 * lift + 0.4 * good_agent, 0.9, 1, 5),
    };
    Answers {
        score: Some(score),
        ..Default::default()
    }
}
