//! What an agent's home page says about their own work: their open tickets by queue quadrant
//! (docs/statistics.md#queue-quadrants), their SLA risks (breached, due within the hour) — both
//! counted from the marks kept on the tickets (docs/statistics.md#queue-now) —, and how
//! customers rate them — the CSAT of the answers about their tickets, with its interval, or "not
//! enough data" below [`MIN_RATINGS`] answers (docs/statistics.md#csat).

use crate::{Actor, App, AppError, AppResult};
use kefu_core::queue::Quadrant;
use kefu_core::stats::Interval;
use kefu_core::survey::SurveyKind;

/// Fewer ratings than this show "not enough data", not a figure.
pub const MIN_RATINGS: u64 = 10;

/// An agent's own work, as their home page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MyDesk {
    /// Open tickets assigned to the agent (new, open, pending).
    pub open: u64,
    /// Those per quadrant, all four in the queue's order.
    pub quadrants: Vec<(Quadrant, u64)>,
    /// Open tickets with a target past due.
    pub breached: u64,
    /// Open tickets with a running target due within the next hour (and none breached).
    pub due_within_hour: u64,
    pub rating: MyRating,
}

/// How customers rate the agent, from the newest CSAT survey with answers.
#[derive(Debug, Clone, PartialEq)]
pub enum MyRating {
    /// No CSAT survey has answers yet.
    NoSurvey,
    /// Fewer than [`MIN_RATINGS`] answers about the agent's tickets.
    NotEnough { n: u64 },
    /// The share of satisfied answers (4 or 5 of 5), 0–1, with its 95 % Wilson interval.
    Csat {
        n: u64,
        csat: f64,
        ci95: Option<Interval>,
        survey: String,
    },
}

impl App {
    /// The signed-in staff member's own queue, SLA risks and rating.
    pub async fn my_desk(&self, actor: &Actor) -> AppResult<MyDesk> {
        actor.require(kefu_core::roles::DESK)?;
        let me = actor.user_id().ok_or(AppError::Forbidden)?;
        let q = self.queue_now_of(&format!("agent:{me}")).await?;
        Ok(MyDesk {
            open: q.open,
            quadrants: q.quadrants,
            breached: q.breached,
            due_within_hour: q.due_within_hour,
            rating: self.my_rating(me).await?,
        })
    }

    /// The CSAT of the answers about `user_id`'s tickets (the `agent:<id>` segment) in the newest
    /// CSAT survey that has answers. Read on the agent's behalf: their own figure only.
    async fn my_rating(&self, user_id: i64) -> AppResult<MyRating> {
        let reader = Actor::System("my desk");
        let Some(survey) = self.primary_survey(SurveyKind::Csat).await? else {
            return Ok(MyRating::NoSurvey);
        };
        let segment = format!("agent:{user_id}");
        let report = self
            .survey_report(&reader, survey.id, Some(&segment), None, None)
            .await?;
        Ok(match report.csat {
            Some(c) if c.n >= MIN_RATINGS => match c.csat {
                Some(csat) => MyRating::Csat {
                    n: c.n,
                    csat,
                    ci95: c.csat_ci95,
                    survey: survey.title,
                },
                None => MyRating::NotEnough { n: c.n },
            },
            Some(c) => MyRating::NotEnough { n: c.n },
            None => MyRating::NotEnough { n: 0 },
        })
    }
}
