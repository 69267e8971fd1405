//! Surveys and SERVQUAL measurement (issue 5, SPEC.md C): the item bank, surveys of every kind,
//! tokenised answer links, partial and final answers, opt-out, and reports.
//!
//! A final answer is checked against its survey, recorded, and folded into the sufficient
//! statistics (kefu-core's `ServqualAccumulator` / `AnswerCounts`) of the segments "all" and the
//! customer's value tier for the month of the answer, in one transaction; reports merge those
//! rows and never read the answers. The statistics themselves are kefu-core's.
//!
//! One file per job: `view` (a survey as asked and the check of an answer against it), `bank`
//! (the item bank), `design` (creating and reading surveys), `links` (tokenised links),
//! `answering` (answers through a link, and the writer that batches final ones), `statistics`
//! (the sufficient statistics and the segments they are kept for), `report` (reports over them)
//! and `causes` (why dissatisfied respondents were dissatisfied).

mod answering;
mod bank;
mod causes;
mod design;
mod links;
mod report;
mod statistics;
mod view;

pub(crate) use answering::AnswerWriter;
pub use answering::LinkSurvey;
pub use bank::{BankItemInput, DimensionInput};
pub use causes::CauseRow;
pub use design::{SurveyInput, check_slug};
pub use links::{LinkRequest, MadeLink};
pub use report::{LowItem, SurveyReport, TrendPoint, parse_period};
pub use statistics::{SEGMENT_FIELDS, SurveyAccumulator, parse_segment, stats_keys};
pub use view::{Answers, SurveyView, has_battery, score_scale};

use crate::{Actor, AppError, AppResult};
use kefu_core::{Invalid, Language, Role};

/// The survey kinds.
pub const KINDS: [&str; 6] = ["servqual", "servperf", "csat", "nps", "ces", "custom"];
pub const STATUSES: [&str; 3] = ["draft", "open", "closed"];
/// The most links one request makes.
pub const MAX_LINKS: usize = 10_000;
const MAX_WORDING: usize = 500;
pub const MAX_COMMENT: usize = 5_000;

/// Who may design surveys, make links and read reports (SPEC.md L: admins and managers).
fn require_survey_manager(actor: &Actor) -> AppResult<()> {
    match actor.role() {
        Role::Admin | Role::Manager => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// A trimmed text field of 1 to `max` characters (the bank's wording, titles, names).
fn check_text(field: &str, v: &str, max: usize) -> Result<String, Invalid> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(Invalid::one(
            field,
            "required",
            format!("{field} is required (at most {max} characters)"),
        ));
    }
    Ok(v.to_owned())
}

/// An optional language as given: `zh-CN` or `en`.
fn parse_language(field: &str, v: Option<&str>) -> Result<Option<Language>, Invalid> {
    v.map(|l| Language::parse(l).ok_or_else(|| Invalid::one(field, "unknown_language", "language is zh-CN or en")))
        .transpose()
}
