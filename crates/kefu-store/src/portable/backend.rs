//! What a backend provides to the shared SQL: everything that differs between the databases.

use crate::portable::tickets::TicketMatch;
use crate::{Db, DbReader};
use kefu_core::search::{IndexTerms, QueryPart};
use kefu_store::{ImportPurchase, StoreResult};
use sqlx::{Pool, Transaction};
use std::future::Future;

/// A row of the backend's database.
pub(crate) type DbRow = <Db as sqlx::Database>::Row;

/// The backend's half of the store: the shared code implements the store traits on top of these.
/// Each backend implements it once for its store type (`DbStore`); nothing else calls it.
pub(crate) trait Backend {
    /// Whether multi-row statements number their parameters `$1, $2, …` (PostgreSQL) or mark them
    /// positionally with `?` (SQLite, whose cost of binding `$N` grows with the square of their
    /// number): see [`mark_list`](crate::portable::mark_list).
    const NUMBERED_PARAMS: bool;

    /// What a read inside a write transaction ends with to hold the rows it reads until the
    /// commit (PostgreSQL: ` FOR UPDATE`; SQLite: nothing, its write transaction holds the writer).
    const ROW_LOCK: &'static str;

    /// The pool single statements that write run on (SQLite: its one writer connection).
    fn writer(&self) -> &Pool<Db>;

    /// What reads run on (SQLite: read-only connections, kept between statements; PostgreSQL: the
    /// same pool as writes). Each statement run on it takes a connection for itself.
    fn reader(&self) -> &DbReader;

    /// Begins a write transaction. SQLite takes its write lock at the start (`BEGIN IMMEDIATE` on
    /// the single writer), so writers queue instead of failing with SQLITE_BUSY; PostgreSQL begins
    /// a pooled transaction.
    fn write_tx(&self) -> impl Future<Output = Result<Transaction<'static, Db>, sqlx::Error>> + Send;

    /// Claims the oldest due job (queued, or running with an expired lease) for `worker` until
    /// `now + lease_ms` in one statement, and returns its row (columns
    /// [`JOB_COLUMNS`](crate::portable::JOB_COLUMNS)). Two workers never get the same job: SQLite
    /// has one writer, PostgreSQL skips rows another claimer has locked.
    fn claim_job_row(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
    ) -> impl Future<Output = StoreResult<Option<DbRow>>> + Send;

    /// Replaces the search terms of these customers, in one transaction of its own.
    fn backend_index_customers(&self, rows: &[(i64, IndexTerms)]) -> impl Future<Output = StoreResult<()>> + Send;

    /// Live customers matching every part of a (non-empty) query, by id, as rows of `cols` (the
    /// customers aliased `c`); with `within`, only that customer and those beneath it.
    fn backend_search_customers(
        &self,
        query: &[QueryPart],
        cols: &str,
        within: Option<i64>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<DbRow>>> + Send;

    /// How a ticket search reads the index: its FROM clause, the id column and the match
    /// condition, with its text parameters numbered from `$first`.
    fn ticket_match_sql(query: &[QueryPart], first: usize) -> TicketMatch;

    /// Replaces the search terms of these tickets inside the caller's write transaction.
    fn index_tickets_in(
        tx: &mut Transaction<'_, Db>,
        rows: &[(i64, &IndexTerms)],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Writes one batch of a purchase import inside its transaction, each row inserted or updated
    /// by its external id, with the backend's fastest multi-row statement.
    fn write_purchases(
        tx: &mut Transaction<'static, Db>,
        rows: Vec<ImportPurchase>,
        now: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Prepares a write transaction for a bulk write (SQLite: a larger page cache).
    fn bulk_write_begins(tx: &mut Transaction<'static, Db>) -> impl Future<Output = StoreResult<()>> + Send;

    /// Ends a bulk write before its commit (SQLite: the usual page cache back; PostgreSQL: fresh
    /// planner statistics for the tables it filled).
    fn bulk_write_ends(tx: &mut Transaction<'static, Db>) -> impl Future<Output = StoreResult<()>> + Send;

    /// Holds every answer's statistics write back until the transaction ends, while a survey's
    /// statistics are rebuilt (SQLite: nothing to do, the transaction holds the one writer).
    fn lock_survey_stats(tx: &mut Transaction<'static, Db>) -> impl Future<Output = StoreResult<()>> + Send;
}
