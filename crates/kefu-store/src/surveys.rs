//! Surveys: the item bank, surveys, tokenised links, responses and the sufficient
//! statistics per survey × segment × period. The store keeps the statistics as opaque JSON; the
//! app folds an answer into them (kefu-core's accumulators) inside the transaction that records
//! the final answer, through [`StatsFold`].

use crate::StoreResult;
use async_trait::async_trait;
use kefu_core::time::Millis;
use serde::Serialize;

/// A quality dimension of the item bank (有形性, 可靠性, ...); dimensions are data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurveyDimension {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub position: i64,
}

#[derive(Debug, Clone)]
pub struct NewDimension {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub description_zh: String,
    pub description_en: String,
    pub now: Millis,
}

/// An item of the bank: the expectation and perception wording in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankItem {
    pub id: i64,
    pub code: String,
    pub dimension: String,
    pub expectation_zh: String,
    pub expectation_en: String,
    pub perception_zh: String,
    pub perception_en: String,
    pub position: i64,
}

#[derive(Debug, Clone)]
pub struct NewBankItem {
    pub code: String,
    pub dimension: String,
    pub expectation_zh: String,
    pub expectation_en: String,
    pub perception_zh: String,
    pub perception_en: String,
    pub now: Millis,
}

/// Wording to change; `None` leaves it.
#[derive(Debug, Clone, Default)]
pub struct BankItemPatch {
    pub expectation_zh: Option<String>,
    pub expectation_en: Option<String>,
    pub perception_zh: Option<String>,
    pub perception_en: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Survey {
    pub id: i64,
    /// The survey's short name (`kefu survey report <slug>`), unique.
    pub slug: String,
    pub kind: kefu_core::SurveyKind,
    pub title: String,
    pub language: String,
    /// Manager weights {dimension: points} as JSON text, or none.
    pub weights: Option<String>,
    pub importance: bool,
    pub overall: bool,
    pub comment: bool,
    pub competitor: Option<String>,
    /// draft | open | closed
    pub status: String,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewSurvey {
    /// None: `survey-<id>`.
    pub slug: Option<String>,
    pub kind: kefu_core::SurveyKind,
    pub title: String,
    pub language: String,
    pub weights: Option<String>,
    pub importance: bool,
    pub overall: bool,
    pub comment: bool,
    pub competitor: Option<String>,
    pub status: String,
    pub created_by: Option<i64>,
    /// Bank item ids in the order asked.
    pub items: Vec<i64>,
    pub now: Millis,
}

/// An item as a survey asks it: the codes fixed at creation, the wording from the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurveyItem {
    pub position: i64,
    pub item_id: i64,
    pub code: String,
    pub dimension: String,
    pub expectation_zh: String,
    pub expectation_en: String,
    pub perception_zh: String,
    pub perception_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurveyLink {
    pub id: i64,
    pub survey_id: i64,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub language: String,
    pub expires_at: Millis,
    pub answered_at: Option<Millis>,
    pub opted_out_at: Option<Millis>,
    pub created_at: Millis,
    /// The campaign and its run that made the link, if one did.
    pub campaign_id: Option<i64>,
    pub run: Option<i64>,
    /// A staff member asked (employee surveys), instead of a customer.
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewSurveyLink {
    pub survey_id: i64,
    pub token_hash: String,
    pub customer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub language: String,
    pub expires_at: Millis,
    pub now: Millis,
    /// Campaign links: the campaign (the plain token is never kept, only its hash).
    pub campaign_id: Option<i64>,
    /// Employee surveys: the staff member asked.
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurveyResponse {
    pub id: i64,
    pub survey_id: i64,
    /// The link it came through, or none for an answer imported from a file ...
    pub link_id: Option<i64>,
    /// ... where the file's `respondent` names it (unique within the survey).
    pub respondent: Option<String>,
    /// The answers as JSON text (the app's `Answers`).
    pub answers: String,
    pub comment: String,
    pub partial: bool,
    /// Frozen segment attributes as JSON text.
    pub segment: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What a response write carries.
#[derive(Debug, Clone)]
pub struct ResponseWrite {
    pub link_id: i64,
    pub answers: String,
    pub comment: String,
    pub segment: String,
    pub now: Millis,
}

/// A survey campaign: its sample frame, how many to ask, the fatigue window, when it runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub survey_id: i64,
    pub name: String,
    /// The sample frame as JSON text (the app's `CampaignFrame`).
    pub frame: String,
    pub sample_size: Option<i64>,
    pub margin: Option<f64>,
    pub response_rate: f64,
    pub seed: i64,
    pub fatigue_days: i64,
    pub expires_in_days: i64,
    /// once | monthly | quarterly | ticket_resolved
    pub recurrence: String,
    pub invite_by_email: bool,
    /// active | paused
    pub status: String,
    pub runs: i64,
    pub last_run_at: Option<Millis>,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub survey_id: i64,
    pub name: String,
    pub frame: String,
    pub sample_size: Option<i64>,
    pub margin: Option<f64>,
    pub response_rate: f64,
    pub seed: i64,
    pub fatigue_days: i64,
    pub expires_in_days: i64,
    pub recurrence: String,
    pub invite_by_email: bool,
    pub created_by: Option<i64>,
    pub now: Millis,
}

/// A customer as a sample frame sees it, with its primary contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRow {
    pub customer_id: i64,
    pub external_id: Option<String>,
    pub name: String,
    pub kind: String,
    pub value_tier: String,
    pub region: String,
    /// Tags as stored (JSON array text).
    pub tags: String,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
}

/// A staff member as an employee survey's frame sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    /// admin | manager | agent | technician
    pub role: String,
    pub language: Option<String>,
}

/// A campaign link as the link list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignLink {
    pub link: SurveyLink,
    /// The plain token, only where the app has just issued it (a run, a re-issue): the store keeps
    /// its hash alone and always reads `None`.
    pub token: Option<String>,
    pub customer_external_id: Option<String>,
    pub customer_name: Option<String>,
    pub contact_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A final answer in a batch: its write and the statistics rows (segment, period) it folds into.
#[derive(Debug, Clone)]
pub struct FinalAnswer {
    pub write: ResponseWrite,
    pub keys: Vec<(String, String)>,
}

/// Folds a batch's answers into one statistics row: (survey id, segment, period, the row's current
/// accumulator JSON or none, the indices of the batch's answers that fold into it) → the new
/// accumulator JSON and its respondent count.
pub type BatchFold<'a> =
    dyn Fn(i64, &str, &str, Option<&str>, &[usize]) -> Result<(String, i64), String> + Send + Sync + 'a;

/// An answer imported from a file (always final).
#[derive(Debug, Clone)]
pub struct ImportedResponse {
    pub respondent: String,
    pub answers: String,
    pub comment: String,
    pub segment: String,
    /// When it was given (an import: the moment of the import).
    pub at: i64,
}

/// Rebuilds a survey's statistics from its final answers, fed oldest first.
pub trait StatsBuilder: Send {
    fn add(&mut self, r: &SurveyResponse) -> Result<(), String>;
    /// The statistics rows of every answer added.
    fn finish(&mut self) -> Result<Vec<StatsRow>, String>;
}

/// Merges an import's statistics into one row (segment, period): given the row's current
/// accumulator JSON (none for a new row) returns the new one and its respondent count.
pub type StatsMerge = dyn Fn(&str, &str, Option<&str>) -> Result<(String, i64), String> + Send + Sync;

/// Folds one final answer into a statistics row: given the row's current accumulator JSON (none
/// for a new row) returns the new one and its respondent count. Called once per key, inside the
/// transaction that records the answer; an error rolls the whole answer back.
pub type StatsFold = dyn Fn(Option<&str>) -> Result<(String, i64), String> + Send + Sync;

/// A statistics row: (segment, period, accumulator JSON, n).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsRow {
    pub segment: String,
    pub period: String,
    pub accumulator: Option<String>,
    pub n: i64,
}

/// One cause of the five-gap checklist (docs/statistics.md#five-gaps): ticked or not, and the
/// manager's note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GapDiagnosisEntry {
    /// 1 to 5.
    pub gap: i64,
    /// A cause code of `kefu_core::gaps::CAUSES`.
    pub cause: String,
    pub checked: bool,
    pub note: String,
    pub updated_by: Option<i64>,
    pub updated_at: Millis,
}

#[async_trait]
pub trait Surveys {
    async fn survey_dimensions(&self) -> StoreResult<Vec<SurveyDimension>>;
    async fn add_survey_dimension(&self, d: NewDimension) -> StoreResult<SurveyDimension>;
    async fn bank_items(&self) -> StoreResult<Vec<BankItem>>;
    /// Adds an item at the end of the bank; an unknown dimension is `Refused`, a taken code `Conflict`.
    async fn add_bank_item(&self, i: NewBankItem) -> StoreResult<BankItem>;
    async fn update_bank_item(&self, code: &str, patch: BankItemPatch, now: Millis) -> StoreResult<BankItem>;

    /// Creates a survey with its items, in one transaction.
    async fn create_survey(&self, s: NewSurvey) -> StoreResult<Survey>;
    async fn get_survey(&self, id: i64) -> StoreResult<Survey>;
    async fn survey_by_slug(&self, slug: &str) -> StoreResult<Survey>;
    /// Every survey, newest first, with its number of final answers.
    async fn list_surveys(&self) -> StoreResult<Vec<(Survey, i64)>>;
    /// Every survey, newest first, with whether it has a final answer (an index probe each,
    /// where [`Self::list_surveys`] counts them all).
    async fn surveys_answered(&self) -> StoreResult<Vec<(Survey, bool)>>;
    async fn survey_items(&self, survey_id: i64) -> StoreResult<Vec<SurveyItem>>;

    /// Creates links in one transaction; all or nothing.
    async fn create_survey_links(&self, links: &[NewSurveyLink]) -> StoreResult<Vec<SurveyLink>>;
    /// The link with this token hash, whatever its state (the app decides what it may do).
    async fn survey_link_by_token(&self, token_hash: &str) -> StoreResult<SurveyLink>;
    async fn survey_response_of(&self, link_id: i64) -> StoreResult<Option<SurveyResponse>>;
    /// Saves a partial answer on a link not answered, not opted out and not expired at `w.now`
    /// (else `Conflict`), replacing an earlier partial one.
    async fn save_partial_response(&self, w: ResponseWrite) -> StoreResult<SurveyResponse>;
    /// Records the final answer and folds it into the statistics rows `keys` (segment, period)
    /// of the link's survey, in one transaction: the link must be live at `w.now` and unanswered
    /// (else `Conflict`, and nothing changes).
    async fn submit_final_response(
        &self,
        w: ResponseWrite,
        keys: &[(String, String)],
        fold: &StatsFold,
    ) -> StoreResult<SurveyResponse>;
    /// Records a batch of final answers in one transaction and folds those that were taken into
    /// the statistics: each answer gets its own outcome — its response, or `Conflict` when its link
    /// is answered, opted out or expired at its `now` (that answer changes nothing). An error of the
    /// whole (the database, `fold`) writes nothing.
    async fn submit_final_responses(
        &self,
        answers: &[FinalAnswer],
        fold: &BatchFold<'_>,
    ) -> StoreResult<Vec<StoreResult<SurveyResponse>>>;
    async fn create_campaign(&self, c: NewCampaign) -> StoreResult<Campaign>;
    async fn get_campaign(&self, id: i64) -> StoreResult<Campaign>;
    /// A survey's campaigns (all surveys' with `None`), newest first.
    async fn list_campaigns(&self, survey_id: Option<i64>) -> StoreResult<Vec<Campaign>>;
    async fn set_campaign_status(&self, id: i64, status: &str, now: Millis) -> StoreResult<Campaign>;
    /// Every customer not deleted, with its primary contact, in id order.
    async fn campaign_frame(&self) -> StoreResult<Vec<FrameRow>>;
    /// Customers asked to answer any survey since `since` (the fatigue rule), and customers who
    /// ever opted out of one.
    async fn recently_surveyed(&self, since: Millis) -> StoreResult<Vec<i64>>;
    async fn opted_out_customers(&self) -> StoreResult<Vec<i64>>;
    /// Staff who can be asked (enabled, any role but customer), in id order.
    async fn staff_frame(&self) -> StoreResult<Vec<StaffRow>>;
    /// Staff asked to answer any survey since `since`, and staff who ever opted out.
    async fn recently_surveyed_users(&self, since: Millis) -> StoreResult<Vec<i64>>;
    async fn opted_out_users(&self) -> StoreResult<Vec<i64>>;
    /// Records a run of a campaign: its run counter goes up by one and its links are made, in one
    /// transaction. Returns the run's number and the links.
    async fn record_campaign_run(
        &self,
        campaign_id: i64,
        links: &[NewSurveyLink],
        now: Millis,
    ) -> StoreResult<(i64, Vec<SurveyLink>)>;
    /// The links of a campaign (of one run, or all), oldest first, with whom they are for.
    async fn campaign_links(&self, campaign_id: i64, run: Option<i64>) -> StoreResult<Vec<CampaignLink>>;
    /// Gives links new token hashes (`(link id, hash)`), in one transaction, those not answered
    /// yet: the old tokens stop working. Returns how many changed.
    async fn reissue_survey_links(&self, links: &[(i64, String)]) -> StoreResult<u64>;
    async fn get_survey_link(&self, id: i64) -> StoreResult<SurveyLink>;
    /// Whether a link was made for this ticket already (a resolved ticket is asked once).
    async fn ticket_has_survey_link(&self, ticket_id: i64) -> StoreResult<bool>;
    /// Marks a link opted out (once; later calls keep the first instant).
    async fn opt_out_survey_link(&self, link_id: i64, now: Millis) -> StoreResult<SurveyLink>;
    /// The survey statistics' epoch: a number that changes whenever a write changes a month
    /// before [`kefu_core::facts::month_settled_before`] of its instant, or a survey's statistics
    /// are rebuilt; the months before [`kefu_core::facts::month_kept_before`] may be kept while
    /// it stays the same.
    async fn survey_stats_epoch(&self) -> StoreResult<i64>;
    /// Statistics rows of a survey for one segment, periods `from..=to` (inclusive, either open).
    async fn survey_stats(
        &self,
        survey_id: i64,
        segment: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<StatsRow>>;
    /// [`Self::survey_stats`] of several segments in one read, by segment then period.
    async fn survey_stats_each(
        &self,
        survey_id: i64,
        segments: &[String],
        from: Option<&str>,
        to: Option<&str>,
    ) -> StoreResult<Vec<StatsRow>>;
    /// A survey's five-gap checklist for a period key (`all`, or `from..to`), by gap and cause.
    async fn gap_diagnosis(&self, survey_id: i64, period: &str) -> StoreResult<Vec<GapDiagnosisEntry>>;
    /// Replaces a survey's checklist for a period key with `entries`, in one transaction.
    async fn save_gap_diagnosis(&self, survey_id: i64, period: &str, entries: &[GapDiagnosisEntry]) -> StoreResult<()>;
    /// The segments a survey has statistics for (`all`, `tier:A`, `region:华东`, …), sorted.
    async fn survey_segments(&self, survey_id: i64) -> StoreResult<Vec<String>>;
    /// A customer's final answers through its links, newest first, at most `limit` (the ticket
    /// workspace and the customer's timeline).
    async fn customer_answers(&self, customer_id: i64, limit: u32) -> StoreResult<Vec<SurveyResponse>>;
    /// The final responses of a survey, oldest first (rebuilds and checks).
    async fn final_responses(&self, survey_id: i64) -> StoreResult<Vec<SurveyResponse>>;
    /// The respondents of a survey's imported answers.
    async fn survey_respondents(&self, survey_id: i64) -> StoreResult<Vec<String>>;
    /// Records imported answers and merges their statistics into the rows `keys` (segment,
    /// period) with `merge`, in one transaction: all or nothing. A respondent already in the
    /// survey is `Conflict`.
    async fn import_survey_responses(
        &self,
        survey_id: i64,
        rows: &[ImportedResponse],
        keys: &[(String, String)],
        merge: &StatsMerge,
        now: Millis,
    ) -> StoreResult<u64>;
    /// Recomputes a survey's statistics: every final answer, oldest first, goes to `builder`, whose
    /// rows then replace the survey's, in one transaction that holds answers to any survey back
    /// until it ends (so none is counted twice or lost). Returns the answers read.
    async fn rebuild_survey_stats(
        &self,
        survey_id: i64,
        builder: &mut dyn StatsBuilder,
        now: Millis,
    ) -> StoreResult<u64>;
    /// The newest final answers of a survey that came with a comment: (answers JSON, comment).
    async fn commented_answers(&self, survey_id: i64, limit: u32) -> StoreResult<Vec<(String, String)>>;
    /// Final comments of a survey, newest first.
    async fn survey_comments(&self, survey_id: i64, limit: u32) -> StoreResult<Vec<(String, Millis)>>;
}
