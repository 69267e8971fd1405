//! Answering through a link: the link's survey as its respondent sees it, partial and final
//! answers, opt-out, and the one writer that records final answers in batches.

use super::statistics::{SurveyAccumulator, stats_keys};
use super::view::{Answers, SurveyView};
use crate::auth::sha256_hex;
use crate::{App, AppError, AppResult};
use kefu_store::{FinalAnswer, ResponseWrite, StoreError, Survey, SurveyLink, SurveyResponse};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most final answers written in one transaction.
const ANSWER_BATCH: usize = 128;

/// A final answer on its way to the writer.
pub(crate) struct PendingAnswer {
    answer: FinalAnswer,
    view: Arc<SurveyView>,
    answers: Answers,
}

type AnswerReply = oneshot::Sender<AppResult<SurveyResponse>>;

/// The one task that records final answers: answers given at the same time are written, and
/// folded into the statistics, in one transaction (one commit, one fold per statistics row), while
/// each respondent still gets their own outcome.
#[derive(Clone)]
pub(crate) struct AnswerWriter {
    tx: mpsc::Sender<(PendingAnswer, AnswerReply)>,
}

/// Folds the answers `items` of `pending` into a statistics row's accumulator.
fn fold_pending(pending: &[PendingAnswer], old: Option<&str>, items: &[usize]) -> Result<(String, i64), String> {
    let first = items.first().ok_or("nothing to fold")?;
    let mut acc = match old {
        Some(s) => serde_json::from_str::<SurveyAccumulator>(s).map_err(|e| e.to_string())?,
        None => SurveyAccumulator::new(&pending[*first].view).map_err(|e| e.to_string())?,
    };
    for &i in items {
        acc.add(&pending[i].view, &pending[i].answers)
            .map_err(|e| e.to_string())?;
    }
    let n = acc.respondents() as i64;
    Ok((serde_json::to_string(&acc).map_err(|e| e.to_string())?, n))
}

fn answer_outcome(r: Result<SurveyResponse, StoreError>) -> AppResult<SurveyResponse> {
    match r {
        Ok(r) => Ok(r),
        // The link was answered, opted out or expired between the read and the write.
        Err(StoreError::Conflict { .. }) => Err(AppError::Conflict("this survey has been answered already".into())),
        Err(e) => Err(e.into()),
    }
}

impl AnswerWriter {
    fn start(store: Arc<dyn kefu_store::Store>) -> AnswerWriter {
        let (tx, mut rx) = mpsc::channel::<(PendingAnswer, AnswerReply)>(4 * ANSWER_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(ANSWER_BATCH);
            while rx.recv_many(&mut batch, ANSWER_BATCH).await > 0 {
                let (pending, replies): (Vec<PendingAnswer>, Vec<AnswerReply>) = batch.drain(..).unzip();
                let finals: Vec<FinalAnswer> = pending.iter().map(|p| p.answer.clone()).collect();
                let fold =
                    |_: i64, _: &str, _: &str, old: Option<&str>, items: &[usize]| fold_pending(&pending, old, items);
                match store.submit_final_responses(&finals, &fold).await {
                    Ok(outcomes) => {
                        for (reply, r) in replies.into_iter().zip(outcomes) {
                            let _ = reply.send(answer_outcome(r));
                        }
                    }
                    // The batch failed as a whole: each answer alone, so each gets its own outcome.
                    Err(_) => {
                        for (i, reply) in replies.into_iter().enumerate() {
                            let one = std::slice::from_ref(&pending[i]);
                            let fold = |_: i64, _: &str, _: &str, old: Option<&str>, items: &[usize]| {
                                fold_pending(one, old, items)
                            };
                            let r = store
                                .submit_final_responses(std::slice::from_ref(&finals[i]), &fold)
                                .await
                                .map_err(AppError::from)
                                .and_then(|mut v| answer_outcome(v.remove(0)));
                            let _ = reply.send(r);
                        }
                    }
                }
            }
        });
        AnswerWriter { tx }
    }

    async fn write(&self, p: PendingAnswer) -> Result<SurveyResponse, StoreError> {
        let stopped = || StoreError::Refused("the answer writer stopped".into());
        let (reply, answer) = oneshot::channel();
        self.tx.send((p, reply)).await.map_err(|_| stopped())?;
        match answer.await.map_err(|_| stopped())? {
            Ok(r) => Ok(r),
            Err(AppError::Conflict(_)) => Err(StoreError::Conflict {
                what: "the survey link is answered, opted out or expired".into(),
            }),
            Err(AppError::Store(e)) => Err(e),
            Err(e) => Err(StoreError::Refused(e.to_string())),
        }
    }
}

/// A link's survey as its respondent sees it.
#[derive(Debug, Clone)]
pub struct LinkSurvey {
    pub link: SurveyLink,
    pub view: SurveyView,
    /// The saved answer, partial or final.
    pub response: Option<(SurveyResponse, Answers)>,
}

impl LinkSurvey {
    pub fn answered(&self) -> bool {
        self.link.answered_at.is_some()
    }
    pub fn opted_out(&self) -> bool {
        self.link.opted_out_at.is_some()
    }
    /// A staff member's link to a SERVQUAL survey: management's view of what customers expect
    /// (Gap 1, docs/statistics.md#five-gaps), so only the expectation battery is asked.
    pub fn management_view(&self) -> bool {
        self.link.user_id.is_some() && self.view.survey.kind == kefu_core::SurveyKind::Servqual
    }
}

/// What a [`LinkSurvey::management_view`] answer may hold: expectations, a comment, nothing else.
fn check_management_view(a: &Answers, final_: bool) -> Result<(), kefu_core::Invalid> {
    for (field, given) in [
        ("perception", !a.perception.is_empty()),
        ("competitor", !a.competitor.is_empty()),
        ("allocation", a.allocation.is_some()),
        ("overall", a.overall.is_some()),
    ] {
        if given {
            return Err(kefu_core::Invalid::one(
                field,
                "not_asked",
                "staff answer only the expectations: management's view of what customers expect",
            ));
        }
    }
    if final_ && a.expectation.is_empty() {
        return Err(kefu_core::Invalid::one(
            "expectation",
            "required",
            "answer at least one item",
        ));
    }
    Ok(())
}

impl App {
    /// A survey with its items and dimensions as answering needs them: a survey's items are fixed
    /// when it is created, so they are read once and kept (the wording is not: pages read it).
    async fn answer_view(&self, survey: Survey) -> AppResult<SurveyView> {
        let cached = self.survey_layouts.lock().ok().and_then(|m| m.get(&survey.id).cloned());
        let parts = match cached {
            Some(p) => p,
            None => {
                let v = self.survey_view(survey.clone()).await?;
                let p = Arc::new((v.items, v.dimensions));
                if let Ok(mut m) = self.survey_layouts.lock() {
                    if m.len() > 1_000 {
                        m.clear();
                    }
                    m.insert(survey.id, p.clone());
                }
                p
            }
        };
        SurveyView::new(survey, parts.0.clone(), parts.1.clone())
    }

    fn answer_writer(&self) -> AnswerWriter {
        self.answer_writer
            .get_or_init(|| AnswerWriter::start(self.store.clone()))
            .clone()
    }
    /// The link behind a token: unknown, expired (unless answered) or of a survey not open → `NotFound`.
    async fn live_link(&self, token: &str) -> AppResult<SurveyLink> {
        if token.is_empty() || token.len() > 100 {
            return Err(AppError::NotFound);
        }
        let link = self.store.survey_link_by_token(&sha256_hex(token)).await?;
        if link.answered_at.is_none() && link.expires_at <= self.now() {
            return Err(AppError::NotFound);
        }
        Ok(link)
    }

    /// A link's survey in its respondent's language, with what was saved so far.
    pub async fn survey_for_token(&self, token: &str) -> AppResult<LinkSurvey> {
        let link = self.live_link(token).await?;
        let survey = self.store.get_survey(link.survey_id).await?;
        if survey.status == "draft" {
            return Err(AppError::NotFound);
        }
        let view = self.survey_view(survey).await?;
        let response = match self.store.survey_response_of(link.id).await? {
            Some(r) => {
                let a: Answers = serde_json::from_str(&r.answers).unwrap_or_default();
                Some((r, a))
            }
            None => None,
        };
        Ok(LinkSurvey { link, view, response })
    }

    /// Saves (`final_` false) or submits an answer through a link. A bad answer changes nothing;
    /// a second final answer is `Conflict`; an unknown or expired token `NotFound`.
    pub async fn answer_survey(
        &self,
        token: &str,
        answers: Answers,
        comment: &str,
        final_: bool,
    ) -> AppResult<SurveyResponse> {
        // What answering needs, without the wording: the link, the survey, its (fixed) layout.
        let link = self.live_link(token).await?;
        let survey = self.store.get_survey(link.survey_id).await?;
        if survey.status == "draft" {
            return Err(AppError::NotFound);
        }
        let ls = LinkSurvey {
            view: self.answer_view(survey).await?,
            link,
            response: None,
        };
        if ls.answered() {
            return Err(AppError::Conflict("this survey has been answered already".into()));
        }
        if ls.opted_out() {
            return Err(AppError::Conflict("this link was opted out".into()));
        }
        if ls.view.survey.status != "open" {
            return Err(AppError::Refused("the survey is closed".into()));
        }
        ls.view.check_answers(&answers, comment, final_)?;
        if ls.management_view() {
            check_management_view(&answers, final_)?;
        }
        let now = self.now();
        let tz = self.time_zone().await;
        let period = jiff::Timestamp::from_millisecond(now)
            .map(|t| t.to_zoned(tz).strftime("%Y-%m").to_string())
            .unwrap_or_else(|_| "1970-01".into());
        let customer = match ls.link.customer_id {
            Some(id) => Some(self.store.get_customer(id).await?),
            None => None,
        };
        let ticket = match ls.link.ticket_id {
            Some(id) => Some(self.store.get_ticket(id).await?),
            None => None,
        };
        // Whether the ticket answered about met every SLA target (dissatisfaction causes).
        let sla = match &ticket {
            Some(t) => {
                let v = self.view_tickets(vec![t.clone()]).await?.remove(0);
                let breached = [&v.sla.first_response, &v.sla.next_response, &v.sla.resolution]
                    .iter()
                    .any(|s| s.state == kefu_core::sla::SlaState::Breached);
                Some(if breached { "breached" } else { "met" })
            }
            None => None,
        };
        // The product category of the ticket's purchase.
        let product_category = match ticket.as_ref().and_then(|t| t.purchase_id) {
            Some(p) => Some(self.store.get_purchase(p).await?.category).filter(|c| !c.is_empty()),
            None => None,
        };
        // Employee surveys: the staff member's role.
        let role = match ls.link.user_id {
            Some(id) => Some(self.store.get_user(id).await?.role.to_string()),
            None => None,
        };
        let segment = json!({
            "role": role,
            "tier": customer.as_ref().map(|c| c.value_tier.as_str()),
            "kind": customer.as_ref().map(|c| c.kind.as_str()),
            "region": customer.as_ref().map(|c| c.region.clone()).filter(|r| !r.is_empty()),
            "channel": ticket.as_ref().map(|t| t.channel.as_str()),
            "agent": ticket.as_ref().and_then(|t| t.assignee_id),
            "product": ticket.as_ref().map(|t| t.product.clone()).filter(|p| !p.is_empty()),
            "product_category": product_category,
            "department": ticket.as_ref().map(|t| t.department_id),
            "sla": sla,
            "period": period,
        });
        let write = ResponseWrite {
            link_id: ls.link.id,
            answers: serde_json::to_string(&answers).map_err(|e| AppError::Refused(e.to_string()))?,
            comment: comment.trim().to_owned(),
            segment: segment.to_string(),
            now,
        };
        let stored = if final_ {
            let pending = PendingAnswer {
                answer: FinalAnswer {
                    write,
                    keys: stats_keys(&segment),
                },
                view: Arc::new(ls.view),
                answers,
            };
            self.answer_writer().write(pending).await
        } else {
            self.store.save_partial_response(write).await
        };
        match stored {
            Ok(r) => {
                if final_ {
                    self.emit_survey_answered(&ls.link, &r).await;
                }
                Ok(r)
            }
            // The link was answered, opted out or expired between the read and the write.
            Err(StoreError::Conflict { .. }) => Err(AppError::Conflict("this survey has been answered already".into())),
            Err(e) => Err(e.into()),
        }
    }

    /// Opts a link out (the fatigue rule honours it). Unknown token → `NotFound`.
    pub async fn opt_out_survey(&self, token: &str) -> AppResult<SurveyLink> {
        if token.is_empty() || token.len() > 100 {
            return Err(AppError::NotFound);
        }
        let link = self.store.survey_link_by_token(&sha256_hex(token)).await?;
        Ok(self.store.opt_out_survey_link(link.id, self.now()).await?)
    }
}
