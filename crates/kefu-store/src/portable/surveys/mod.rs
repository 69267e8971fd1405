//! Survey SQL written once for both databases: surveys, the question bank, links, campaigns,
//! answers and their statistics.
//!
//! The fold of an answer into `survey_stats` takes the row's lock portably: the upsert
//! `INSERT … ON CONFLICT … DO UPDATE` locks the row on PostgreSQL until the transaction ends (and
//! SQLite has one writer), so two answers never fold into the same stale accumulator.

mod diagnosis;
mod rows;
mod store;
mod write;

pub const SURVEY_COLUMNS: &str = "id, slug, kind, title, language, weights, importance, overall, comment, competitor, \
    status, created_by, created_at, updated_at";
pub const LINK_COLUMNS: &str = "id, survey_id, customer_id, contact_id, ticket_id, language, expires_at, answered_at, \
    opted_out_at, created_at, campaign_id, run, user_id";
pub const CAMPAIGN_COLUMNS: &str = "id, survey_id, name, frame, sample_size, margin, response_rate, seed, \
    fatigue_days, expires_in_days, recurrence, invite_by_email, status, runs, last_run_at, created_by, \
    created_at, updated_at";
pub const RESPONSE_COLUMNS: &str =
    "id, survey_id, link_id, respondent, answers, comment, partial, segment, created_at, updated_at";
/// Imported answers per multi-row INSERT (7 parameters each).
pub const IMPORT_BATCH: usize = 500;
/// Answers read per page when statistics are rebuilt.
pub const REBUILD_PAGE: i64 = 5_000;
pub const BANK_ITEM_SQL: &str = "SELECT i.id, i.code, d.code AS dimension, i.expectation_zh, i.expectation_en, \
    i.perception_zh, i.perception_en, i.position FROM survey_bank_items i \
    JOIN survey_dimensions d ON d.id = i.dimension_id";
