//! The demo's measurements, so that the quality half of kefu has something to show: a year of
//! SERVQUAL answers in which reliability and responsiveness are the weakest dimensions until a
//! dated change (new dispatch rules, [`CHANGE_DAYS_AGO`] days ago) lifts them; CSAT after resolved
//! tickets, tied to the ticket and its agent; a quarterly relationship NPS; CES after requests;
//! the item bank worded for the demo firm; two published commitments; macros in both languages.
//!
//! Every answer goes through a survey link at its own moment in the past (the app's clock set
//! there), so periods and the segments frozen with each answer come out as real ones do.

use crate::auth::{random_secret, sha256_hex};
use crate::clock::ManualClock;
use crate::commitments::CommitmentInput;
use crate::macros::MacroInput;
use crate::surveys::{Answers, SurveyInput};
use crate::{Actor, App, AppResult};
use kefu_core::sla::SlaState;
use kefu_core::time::DAY_MS;
use kefu_store::{BankItemPatch, NewSurveyLink, TicketFilter};
use rand::RngExt;
use rand::rngs::StdRng;
use std::collections::BTreeMap;

/// When the demo firm changed its dispatch rules (a technician booked while the customer is on
/// the phone), in days before now: reliability and responsiveness are rated better after it.
pub const CHANGE_DAYS_AGO: i64 = 150;

/// The perception mean of each SERVQUAL dimension before the change, and what the change adds.
const PERCEPTION: &[(&str, f64, f64)] = &[
    ("tangibles", 5.5, 0.0),
    ("reliability", 4.4, 0.8),
    ("responsiveness", 4.3, 0.9),
    ("assurance", 5.4, 0.1),
    ("empathy", 5.1, 0.2),
];

/// What the demo's managers believe customers expect of each dimension: they underrate how much
/// customers expect of reliability and responsiveness (customers: about 6.3 everywhere) and
/// overrate tangibles, the classic Gap 1.
const MANAGEMENT_EXPECTATION: &[(&str, f64)] = &[
    ("tangibles", 6.5),
    ("reliability", 5.3),
    ("responsiveness", 5.0),
    ("assurance", 6.0),
    ("empathy", 5.8),
];

/// The mean of the 100 importance points customers give each dimension.
const IMPORTANCE: &[(&str, u32)] = &[
    ("tangibles", 10),
    ("reliability", 32),
    ("responsiveness", 24),
    ("assurance", 21),
    ("empathy", 13),
];

/// What the demo's surveys hold.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct QualitySummary {
    pub surveys: usize,
    pub answers: usize,
}

impl App {
    /// The same app with its clock standing at `at`: what its use cases do happens then.
    fn at(&self, at: i64) -> App {
        self.clone().with_clock(ManualClock::at(at))
    }

    /// The demo's surveys and their answers, commitments and macros; `per_month` SERVQUAL answers
    /// in each of the last twelve months.
    pub(super) async fn load_demo_quality(
        &self,
        rng: &mut StdRng,
        per_month: usize,
        now: i64,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<QualitySummary> {
        let cli = Actor::Cli;
        let year_ago = now - 365 * DAY_MS;
        let changed = now - CHANGE_DAYS_AGO * DAY_MS;
        self.word_the_bank_for_the_demo().await?;
        self.demo_commitments_and_macros(year_ago).await?;
        let customers: Vec<i64> = self
            .demo_end_customers(5_000)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        if customers.is_empty() {
            return Ok(QualitySummary::default());
        }
        let then = self.at(year_ago);
        let survey = |slug: &str, kind: &str, title: &str| SurveyInput {
            slug: Some(slug.into()),
            kind: kind.into(),
            title: title.into(),
            comment: true,
            ..Default::default()
        };
        let servqual = then
            .create_survey(
                &cli,
                SurveyInput {
                    importance: true,
                    overall: true,
                    ..survey("servqual-2026", "servqual", "服务质量调查 Service quality survey")
                },
            )
            .await?;
        let csat = then
            .create_survey(
                &cli,
                survey("csat-after-service", "csat", "服务满意度 After-service CSAT"),
            )
            .await?;
        let nps = then
            .create_survey(&cli, survey("nps-relationship", "nps", "推荐意愿 Relationship NPS"))
            .await?;
        let ces = then
            .create_survey(&cli, survey("ces-requests", "ces", "办事省力度 Customer effort"))
            .await?;
        // About: 12 months of SERVQUAL, the CSAT of a year's resolutions, 4 NPS quarters, CES.
        let total = (30 * per_month) as u64;
        let mut answers = 0usize;

        // SERVQUAL: every month, from a year ago.
        let codes: Vec<(String, String)> = servqual
            .items
            .iter()
            .map(|i| (i.code.clone(), i.dimension.clone()))
            .collect();
        for month in 0..12 {
            for _ in 0..per_month {
                let asked = year_ago + month * 30 * DAY_MS + rng.random_range(0..28 * DAY_MS);
                let answered = (asked + rng.random_range(3_600_000..3 * DAY_MS)).min(now - 60_000);
                let after = answered >= changed;
                let a = servqual_answer(rng, &codes, after);
                let comment = servqual_comment(rng, after);
                let customer = customers[rng.random_range(0..customers.len())];
                self.answer_demo_link(servqual.survey.id, Some(customer), None, asked, answered, a, comment)
                    .await?;
                answers += 1;
            }
            progress(answers as u64, total);
        }

        // Gap 1: the managers answer the expectations as they believe customers would, through
        // a staff campaign run eight months ago.
        answers += self
            .demo_management_view(rng, &servqual.survey.slug, &codes, year_ago + 120 * DAY_MS)
            .await?;

        // CSAT: after tickets resolved in the last year, tied to the ticket (and so its agent).
        let tickets = self
            .store
            .list_tickets(&TicketFilter {
                limit: 5_000,
                ..Default::default()
            })
            .await?;
        let resolved: Vec<_> = tickets
            .into_iter()
            .filter(|t| t.resolved_at.is_some_and(|r| r >= year_ago && r < now - DAY_MS))
            .take(per_month * 12)
            .collect();
        let views = self.view_tickets(resolved).await?;
        for v in views {
            let t = &v.ticket;
            if !rng.random_bool(0.6) {
                continue; // not everyone answers
            }
            let resolved_at = t.resolved_at.unwrap_or(t.created_at);
            let answered = (resolved_at + rng.random_range(600_000..2 * DAY_MS)).min(now - 60_000);
            let late = [&v.sla.first_response, &v.sla.resolution]
                .iter()
                .any(|s| s.state == SlaState::Breached);
            // Late service rates lower; one agent in three is rated better; the change helps.
            let mean = 4.0 - if late { 1.1 } else { 0.0 }
                + if t.assignee_id.is_some_and(|a| a % 3 == 0) {
                    0.4
                } else {
                    0.0
                }
                + if answered >= changed { 0.3 } else { 0.0 };
            let a = Answers {
                score: Some(demo_score(rng, mean, 0.9, 1, 5)),
                ..Default::default()
            };
            let comment = if late && rng.random_bool(0.3) {
                "等了太久才有人回复。"
            } else {
                ""
            };
            self.answer_demo_link(
                csat.survey.id,
                Some(t.customer_id),
                Some(t.id),
                resolved_at,
                answered,
                a,
                comment,
            )
            .await?;
            answers += 1;
        }

        // NPS: a relationship survey each quarter, a little better each time.
        for quarter in 0..4 {
            for _ in 0..per_month {
                let asked = year_ago + quarter * 91 * DAY_MS + rng.random_range(0..14 * DAY_MS);
                let answered = (asked + rng.random_range(3_600_000..5 * DAY_MS)).min(now - 60_000);
                let promoter = 0.38 + 0.05 * quarter as f64;
                let detractor = 0.27 - 0.04 * quarter as f64;
                let roll = rng.random::<f64>();
                let score = if roll < promoter {
                    rng.random_range(9..=10)
                } else if roll < promoter + detractor {
                    rng.random_range(2..=6)
                } else {
                    rng.random_range(7..=8)
                };
                let a = Answers {
                    score: Some(score),
                    ..Default::default()
                };
                let customer = customers[rng.random_range(0..customers.len())];
                self.answer_demo_link(nps.survey.id, Some(customer), None, asked, answered, a, "")
                    .await?;
                answers += 1;
            }
            progress(answers as u64, total);
        }

        // CES: after requests (installations), spread over the year.
        for _ in 0..per_month * 2 {
            let asked = year_ago + rng.random_range(0..360 * DAY_MS);
            let answered = (asked + rng.random_range(3_600_000..2 * DAY_MS)).min(now - 60_000);
            let mean = if answered >= changed { 5.6 } else { 4.7 };
            let a = Answers {
                score: Some(demo_score(rng, mean, 1.1, 1, 7)),
                ..Default::default()
            };
            let customer = customers[rng.random_range(0..customers.len())];
            self.answer_demo_link(ces.survey.id, Some(customer), None, asked, answered, a, "")
                .await?;
            answers += 1;
        }
        progress(total.max(answers as u64), total.max(answers as u64));
        Ok(QualitySummary { surveys: 4, answers })
    }

    /// The managers' view of customers' expectations (Gap 1): a staff campaign of the SERVQUAL
    /// survey for managers and admins, run at `at`, each answering the expectation battery alone
    /// around [`MANAGEMENT_EXPECTATION`]. Returns the answers.
    async fn demo_management_view(
        &self,
        rng: &mut StdRng,
        survey: &str,
        items: &[(String, String)],
        at: i64,
    ) -> AppResult<usize> {
        let cli = Actor::Cli;
        let then = self.at(at);
        let campaign = then
            .create_campaign(
                &cli,
                survey,
                crate::survey_campaigns::CampaignInput {
                    name: "管理层眼中的客户期望 How managers see customers' expectations".into(),
                    frame: crate::survey_campaigns::CampaignFrame {
                        audience: Some("staff".into()),
                        roles: vec!["admin".into(), "manager".into()],
                        ..Default::default()
                    },
                    fatigue_days: Some(0),
                    invite_by_email: Some(false),
                    seed: Some(2026),
                    ..Default::default()
                },
            )
            .await?;
        let run = then.run_campaign(&cli, campaign.id).await?;
        let mut answered = 0;
        for link in run.issued {
            let Some(token) = link.token else { continue };
            let mut a = Answers::default();
            for (code, dim) in items {
                let mean = MANAGEMENT_EXPECTATION
                    .iter()
                    .find(|(d, _)| d == dim)
                    .map_or(6.0, |(_, m)| *m);
                a.expectation.insert(code.clone(), demo_score(rng, mean, 0.6, 1, 7));
            }
            let when = at + rng.random_range(3_600_000..10 * DAY_MS);
            self.at(when).answer_survey(&token, a, "", true).await?;
            answered += 1;
        }
        Ok(answered)
    }

    /// One respondent: a link made at `asked` for `customer` (and the ticket it is about), answered
    /// at `answered` through the answer use case.
    #[allow(clippy::too_many_arguments)]
    async fn answer_demo_link(
        &self,
        survey_id: i64,
        customer_id: Option<i64>,
        ticket_id: Option<i64>,
        asked: i64,
        answered: i64,
        answers: Answers,
        comment: &str,
    ) -> AppResult<()> {
        let token = random_secret();
        self.store
            .create_survey_links(&[NewSurveyLink {
                survey_id,
                token_hash: sha256_hex(&token),
                customer_id,
                contact_id: None,
                ticket_id,
                language: "zh-CN".into(),
                expires_at: asked + 30 * DAY_MS,
                now: asked,
                campaign_id: None,
                user_id: None,
            }])
            .await?;
        self.at(answered.max(asked))
            .answer_survey(&token, answers, comment, true)
            .await?;
        Ok(())
    }

    /// The bank's items name "XYZ" and "[type]" for the firm and its trade: the demo's are
    /// Huaxin (华信) and home appliances (家电).
    async fn word_the_bank_for_the_demo(&self) -> AppResult<()> {
        let cli = Actor::Cli;
        let (_, items) = self.item_bank(&cli).await?;
        let zh = |s: &str| s.replace("XYZ", "华信").replace("[行业]", "家电");
        let en = |s: &str| s.replace("XYZ", "Huaxin").replace("[type]", "appliance");
        let edits = items
            .iter()
            .map(|i| {
                let patch = BankItemPatch {
                    expectation_zh: Some(zh(&i.expectation_zh)),
                    expectation_en: Some(en(&i.expectation_en)),
                    perception_zh: Some(zh(&i.perception_zh)),
                    perception_en: Some(en(&i.perception_en)),
                };
                (i.code.clone(), patch)
            })
            .collect();
        self.update_bank_items(&cli, edits).await
    }

    /// Two published service commitments (on the public page) and the desk's macros.
    async fn demo_commitments_and_macros(&self, at: i64) -> AppResult<()> {
        let cli = Actor::Cli;
        let then = self.at(at);
        let promises = [
            (
                "90 % of complaints get a first reply within 2 working hours",
                "90% 的投诉在 2 个工作小时内首次答复",
                "first_response",
                "complaint",
                120,
                90,
            ),
            (
                "80 % of service requests are resolved within 3 working days",
                "80% 的服务请求在 3 个工作日内解决",
                "resolution",
                "request",
                3 * 450,
                80,
            ),
        ];
        for (position, (en, zh, metric, kind, within, target)) in promises.into_iter().enumerate() {
            then.save_commitment(
                &cli,
                None,
                CommitmentInput {
                    title_en: en.into(),
                    title_zh: zh.into(),
                    metric: metric.into(),
                    kind: Some(kind.into()),
                    within_minutes: within,
                    target_percent: target,
                    dimension: None,
                    published: true,
                    position: position as i64,
                },
            )
            .await?;
        }
        let macros = [
            (
                "Visit booked",
                "已安排上门",
                "Hello {customer}, a technician will visit you; your reference is {reference}. Please keep your phone on.",
                "{customer}您好，已为您安排师傅上门，工单号 {reference}，请保持电话畅通。",
                None,
            ),
            (
                "Apology for the wait",
                "致歉：久等了",
                "Dear {customer}, we are sorry you had to wait. {agent} is looking after {reference} now.",
                "{customer}您好，很抱歉让您久等了。{agent}正在跟进您的工单 {reference}。",
                None,
            ),
            (
                "Invoice needed",
                "请提供发票",
                "Hello {customer}, to repair under warranty we need a photo of the invoice. Reply to this message with it.",
                "{customer}您好，保修维修需要购机发票的照片，请直接回复本消息上传。",
                Some("pending"),
            ),
        ];
        for (title_en, title_zh, body_en, body_zh, status) in macros {
            then.save_macro(
                &cli,
                None,
                MacroInput {
                    title_en: title_en.into(),
                    title_zh: title_zh.into(),
                    body_en: body_en.into(),
                    body_zh: body_zh.into(),
                    status: status.map(str::to_owned),
                    tags: vec![],
                },
            )
            .await?;
        }
        Ok(())
    }
}

/// One SERVQUAL respondent: expectations high everywhere, perceptions by dimension (better after
/// the change where it helped), importance points around [`IMPORTANCE`], an overall rating that
/// follows the perceptions.
pub(super) fn servqual_answer(rng: &mut StdRng, items: &[(String, String)], after: bool) -> Answers {
    let mut a = Answers::default();
    let mut sum = 0.0;
    for (code, dim) in items {
        let (_, base, lift) = PERCEPTION
            .iter()
            .find(|(d, ..)| d == dim)
            .copied()
            .unwrap_or(("", 5.0, 0.0));
        let p = demo_score(rng, base + if after { lift } else { 0.0 }, 1.0, 1, 7);
        sum += f64::from(p);
        a.expectation.insert(code.clone(), demo_score(rng, 6.3, 0.7, 1, 7));
        a.perception.insert(code.clone(), p);
    }
    let mean = sum / items.len().max(1) as f64;
    a.overall = Some(demo_score(rng, mean, 0.6, 1, 7));
    // Importance: each dimension's mean share, moved a little, then made to sum to 100.
    let mut points: BTreeMap<String, u32> = IMPORTANCE
        .iter()
        .map(|(d, w)| ((*d).to_owned(), (*w as i64 + rng.random_range(-4..=4)).max(1) as u32))
        .collect();
    let total: u32 = points.values().sum();
    if let Some(r) = points.get_mut("reliability") {
        *r = (*r + 100).saturating_sub(total).max(1);
    }
    a.allocation = Some(points);
    a
}

pub(super) fn servqual_comment(rng: &mut StdRng, after: bool) -> &'static str {
    const BEFORE: &[&str] = &[
        "师傅约好上午来，结果下午才到。",
        "The technician came a day later than promised.",
        "电话打了三次才有人接。",
        "",
        "",
    ];
    const AFTER: &[&str] = &[
        "打电话时就约好了师傅，很方便。",
        "Booked on the phone and the technician came on time.",
        "服务比去年好多了。",
        "",
        "",
        "",
    ];
    let list = if after { AFTER } else { BEFORE };
    list[rng.random_range(0..list.len())]
}

/// A rating near `mean` (spread `sd`, roughly normal), rounded and kept within `lo..=hi`.
pub(super) fn demo_score(rng: &mut StdRng, mean: f64, sd: f64, lo: u8, hi: u8) -> u8 {
    // The sum of three uniform draws has a standard deviation of 0.5 about 1.5.
    let z = (rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>() - 1.5) * 2.0;
    (mean + z * sd).round().clamp(f64::from(lo), f64::from(hi)) as u8
}
