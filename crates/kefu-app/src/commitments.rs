//! Public service commitments (docs/tickets.md#public-service-commitments;
//! docs/statistics.md#commitment-attainment): managers publish promises bound to an SLA metric and
//! a target; anyone may see, on a public page, each published promise with how well it was kept
//! over the last 30 days: the replies and resolutions that came in them from the kept ticket
//! facts, as Gap 4 reads them, and the tickets still waiting (see [`kefu_core::commitment`] for
//! how those are counted). A ticket is measured on its own SLA policy's calendar.

use crate::tickets::fresh_within;
use crate::{Actor, App, AppError, AppResult};
use kefu_core::Invalid;
use kefu_core::commitment::{Attainment, CommitmentMetric, attainment, check_promise};
use kefu_core::ticket::Kind;
use kefu_store::Commitment;
use std::sync::Arc;

/// The window the public page measures.
pub const WINDOW_DAYS: i64 = 30;

/// How long the public page's figures are kept: an anonymous crowd costs one measurement a
/// minute, not one scan of 30 days of tickets per request.
pub const PUBLISHED_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// A commitment as a manager writes it.
#[derive(Debug, Clone, Default)]
pub struct CommitmentInput {
    pub title_en: String,
    pub title_zh: String,
    pub metric: String,
    pub kind: Option<String>,
    pub within_minutes: i64,
    pub target_percent: i64,
    /// A SERVQUAL dimension code; `None`: the metric's default.
    pub dimension: Option<String>,
    pub published: bool,
    pub position: i64,
}

/// The SERVQUAL dimension a commitment serves: the one it names, else its metric's default.
pub fn dimension_of(c: &Commitment) -> &str {
    c.dimension.as_deref().unwrap_or(c.metric.default_dimension())
}

impl App {
    /// Creates (`id` `None`) or replaces a commitment (managers and admins).
    pub async fn save_commitment(
        &self,
        actor: &Actor,
        id: Option<i64>,
        input: CommitmentInput,
    ) -> AppResult<Commitment> {
        actor.require(kefu_core::roles::MANAGERS)?;
        for (field, v) in [("title_en", &input.title_en), ("title_zh", &input.title_zh)] {
            kefu_core::text::check_text(field, v, 200)?;
        }
        check_promise(input.within_minutes, input.target_percent)?;
        let dimension = input.dimension.as_deref().map(str::trim).filter(|d| !d.is_empty());
        if let Some(d) = dimension
            && !self.store.survey_dimensions().await?.iter().any(|x| x.code == d)
        {
            return Err(Invalid::one("dimension", "unknown_dimension", format!("no SERVQUAL dimension {d:?}")).into());
        }
        let now = self.now();
        let c = Commitment {
            id: id.unwrap_or(0),
            title_en: input.title_en.trim().to_owned(),
            title_zh: input.title_zh.trim().to_owned(),
            metric: CommitmentMetric::parse(&input.metric)?,
            kind: input
                .kind
                .as_deref()
                .filter(|k| !k.is_empty())
                .map(Kind::parse)
                .transpose()?,
            within_minutes: input.within_minutes,
            target_percent: input.target_percent,
            dimension: dimension.map(str::to_owned),
            published: input.published,
            position: input.position,
            created_at: now,
            updated_at: now,
        };
        let saved = self.store.save_commitment(&c).await?;
        self.forget_published().await;
        self.audit(
            actor,
            "commitment.save",
            format!("commitment:{}", saved.id),
            serde_json::json!({"title_en": saved.title_en, "published": saved.published}),
        )
        .await?;
        Ok(saved)
    }

    pub async fn delete_commitment(&self, actor: &Actor, id: i64) -> AppResult<()> {
        actor.require(kefu_core::roles::MANAGERS)?;
        self.store.delete_commitment(id).await?;
        self.forget_published().await;
        self.audit(
            actor,
            "commitment.delete",
            format!("commitment:{id}"),
            serde_json::json!({}),
        )
        .await
    }

    /// Every commitment with its attainment (staff see unpublished ones too).
    pub async fn commitments(&self, actor: &Actor) -> AppResult<Vec<(Commitment, Attainment)>> {
        if !actor.role().works_the_desk() {
            return Err(AppError::Forbidden);
        }
        self.measure(self.store.commitments().await?).await
    }

    /// The published commitments with their attainment over the last 30 days (the public page,
    /// open to anyone): measured at most once every [`PUBLISHED_TTL`], however many ask, and at
    /// once after a commitment is saved or deleted.
    pub async fn published_commitments(&self) -> AppResult<Arc<Vec<(Commitment, Attainment)>>> {
        if let Some(kept) = fresh_within(&self.published_cache, PUBLISHED_TTL).await {
            return Ok(kept);
        }
        // One measurement for a crowd: the others wait for it, then read it.
        let mut slot = self.published_cache.write().await;
        if let Some((at, kept)) = slot.as_ref()
            && at.elapsed() < PUBLISHED_TTL
        {
            return Ok(kept.clone());
        }
        let published = self
            .store
            .commitments()
            .await?
            .into_iter()
            .filter(|c| c.published)
            .collect();
        let measured = Arc::new(self.measure(published).await?);
        *slot = Some((std::time::Instant::now(), measured.clone()));
        Ok(measured)
    }

    async fn forget_published(&self) {
        *self.published_cache.write().await = None;
    }

    /// Each commitment's attainment over the last [`WINDOW_DAYS`] days (docs/statistics.md#commitment-attainment):
    /// the replies (or resolutions) that came on those days, from the ticket facts — within the
    /// promise met, later missed —, and the tickets filed in the window still waiting for theirs:
    /// missed once the promised instant has passed, running before it.
    async fn measure(&self, commitments: Vec<Commitment>) -> AppResult<Vec<(Commitment, Attainment)>> {
        let now = self.now();
        let at = jiff::Timestamp::from_millisecond(now).map_err(|e| AppError::Refused(e.to_string()))?;
        let since = now - WINDOW_DAYS * 86_400_000;
        let today = at.to_zoned(self.time_zone().await).date();
        let days = crate::dashboard::Period {
            from: today
                .checked_sub(jiff::Span::new().days(WINDOW_DAYS - 1))
                .unwrap_or(today),
            to: today,
        };
        let rows = self.fact_sums("all", days).await?;
        let setup = self.sla_setup().await?;
        let mut out = Vec::with_capacity(commitments.len());
        for c in commitments {
            let came = crate::gaps::promise_kept(&c, &rows);
            let mut total = Attainment {
                met: came.within,
                missed: came.n - came.within,
                ..Default::default()
            };
            let facts = self.store.commitment_facts(since, c.kind, c.metric).await?;
            // The waiting tickets grouped by policy, each measured on its own calendar.
            let mut by_policy: std::collections::BTreeMap<
                Option<i64>,
                Vec<(jiff::Timestamp, Option<jiff::Timestamp>)>,
            > = Default::default();
            for (filed, done, policy) in facts.into_iter().filter(|(_, done, _)| done.is_none()) {
                let ts = |m: i64| jiff::Timestamp::from_millisecond(m).map_err(|e| AppError::Refused(e.to_string()));
                by_policy
                    .entry(policy)
                    .or_default()
                    .push((ts(filed)?, done.map(ts).transpose()?));
            }
            for (policy, tickets) in by_policy {
                let calendar = setup.calendar(setup.policy(policy)?)?;
                let a = attainment(calendar, c.within_minutes, tickets, at)?;
                total.met += a.met;
                total.missed += a.missed;
                total.running += a.running;
            }
            let decided = total.met + total.missed;
            total.share = (decided > 0).then(|| total.met as f64 / decided as f64);
            out.push((c, total));
        }
        Ok(out)
    }
}
