//! Surveys and SERVQUAL measurement (docs/surveys.md): the item bank, surveys of every kind,
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
//! (the sufficient statistics and the segments they are kept for), `report` (reports over them),
//! `causes` (why dissatisfied respondents were dissatisfied) and `scores` (a customer's answers).

mod answering;
mod bank;
mod causes;
mod design;
mod headlines;
mod links;
mod report;
mod scores;
mod statistics;
mod view;

pub(crate) use answering::AnswerWriter;
pub use answering::LinkSurvey;
pub use bank::{BankItemInput, DimensionInput};
pub use causes::CauseRow;
pub use design::{SurveyInput, check_slug};
pub use headlines::{HEADLINE_KINDS, HEADLINE_MONTHS, Headline};
pub use links::{LinkRequest, MadeLink};
pub(crate) use report::SurveyStatsCache;
pub use report::{LowItem, SurveyReport, TrendPoint, parse_period};
pub use scores::AnswerSummary;
pub use statistics::{SEGMENT_FIELDS, SurveyAccumulator, parse_segment, stats_keys};
pub use view::{Answers, SurveyView};

use crate::{Actor, AppResult};
use kefu_core::text::check_text;
use kefu_core::{Invalid, Language};

/// The survey kinds.
pub const STATUSES: [&str; 3] = ["draft", "open", "closed"];
/// The most links one request makes.
pub const MAX_LINKS: usize = 10_000;
const MAX_WORDING: usize = 500;
pub const MAX_COMMENT: usize = 5_000;

/// Who may design surveys, make links and read reports (admins and managers: docs/roles.md#surveys).
fn require_survey_manager(actor: &Actor) -> AppResult<()> {
    actor.require(kefu_core::roles::MANAGERS)
}

/// An optional language as given: `zh-CN` or `en`.
fn parse_language(field: &str, v: Option<&str>) -> Result<Option<Language>, Invalid> {
    v.map(|l| Language::parse(l).ok_or_else(|| Invalid::one(field, "unknown_language", "language is zh-CN or en")))
        .transpose()
}
