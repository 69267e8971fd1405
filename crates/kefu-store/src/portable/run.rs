//! The steps of running one statement, written once: run it on a pool or inside a transaction,
//! map the sqlx error to the store's, decode the rows, and read "no row changed" as `NotFound`.
//! [`Run`] is for statements whose rows a decoder reads; [`Values`] for those that sqlx reads
//! into a value or a tuple itself (`query_scalar`, `query_as`).

use crate::Db;
use crate::portable::backend::DbRow;
use crate::portable::db_err;
use kefu_store::{StoreError, StoreResult};
use sqlx::Executor;
use std::future::Future;

/// A statement of the backend's database with its parameters bound.
pub(crate) type DbQuery<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;

/// A row decoder: `rows::user`, `rows::ticket`, ….
pub(crate) trait Decoder<T>: Fn(&DbRow) -> StoreResult<T> + Send {}
impl<T, F: Fn(&DbRow) -> StoreResult<T> + Send> Decoder<T> for F {}

/// Where a statement runs: a pool, or `&mut *tx`.
pub(crate) trait On<'c>: Executor<'c, Database = Db> {}
impl<'c, E: Executor<'c, Database = Db>> On<'c> for E {}

/// Runs a bound statement on `on` (a pool, or `&mut *tx`) and hands back the store's result.
pub(crate) trait Run {
    /// The one row of the statement (`NotFound` when there is none), decoded.
    fn one<'c, T>(self, on: impl On<'c>, decode: impl Decoder<T>) -> impl Future<Output = StoreResult<T>> + Send;

    /// The row of the statement, if any, decoded.
    fn maybe<'c, T>(
        self,
        on: impl On<'c>,
        decode: impl Decoder<T>,
    ) -> impl Future<Output = StoreResult<Option<T>>> + Send;

    /// Every row of the statement, each decoded.
    fn all<'c, T>(self, on: impl On<'c>, decode: impl Decoder<T>) -> impl Future<Output = StoreResult<Vec<T>>> + Send;

    /// Runs the statement for its effect: how many rows it changed.
    fn run<'c>(self, on: impl On<'c>) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Runs a statement that must change a row: `NotFound` when it changed none.
    fn found<'c>(self, on: impl On<'c>) -> impl Future<Output = StoreResult<()>> + Send;
}

impl Run for DbQuery<'_> {
    async fn one<'c, T>(self, on: impl On<'c>, decode: impl Decoder<T>) -> StoreResult<T> {
        let row = self.fetch_one(on).await.map_err(db_err)?;
        decode(&row)
    }

    async fn maybe<'c, T>(self, on: impl On<'c>, decode: impl Decoder<T>) -> StoreResult<Option<T>> {
        let row = self.fetch_optional(on).await.map_err(db_err)?;
        row.as_ref().map(decode).transpose()
    }

    async fn all<'c, T>(self, on: impl On<'c>, decode: impl Decoder<T>) -> StoreResult<Vec<T>> {
        self.fetch_all(on).await.map_err(db_err)?.iter().map(decode).collect()
    }

    async fn run<'c>(self, on: impl On<'c>) -> StoreResult<u64> {
        Ok(self.execute(on).await.map_err(db_err)?.rows_affected())
    }

    async fn found<'c>(self, on: impl On<'c>) -> StoreResult<()> {
        match self.run(on).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }
}

/// Runs a bound `query_scalar` or `query_as` statement on `on` and hands back the store's result.
pub(crate) trait Values<O> {
    /// The one value of the statement (`NotFound` when there is none).
    fn value<'c>(self, on: impl On<'c>) -> impl Future<Output = StoreResult<O>> + Send;

    /// The value of the statement, if any.
    fn value_if_any<'c>(self, on: impl On<'c>) -> impl Future<Output = StoreResult<Option<O>>> + Send;

    /// Every value of the statement.
    fn values<'c>(self, on: impl On<'c>) -> impl Future<Output = StoreResult<Vec<O>>> + Send;
}

/// A `query_scalar` statement of the backend's database with its parameters bound.
type DbScalar<'q, O> = sqlx::query::QueryScalar<'q, Db, O, <Db as sqlx::Database>::Arguments>;
/// A `query_as` statement of the backend's database with its parameters bound.
type DbQueryAs<'q, O> = sqlx::query::QueryAs<'q, Db, O, <Db as sqlx::Database>::Arguments>;

impl<O> Values<O> for DbScalar<'_, O>
where
    O: Send + Unpin + 'static,
    (O,): Send + Unpin + for<'r> sqlx::FromRow<'r, DbRow>,
{
    async fn value<'c>(self, on: impl On<'c>) -> StoreResult<O> {
        self.fetch_one(on).await.map_err(db_err)
    }

    async fn value_if_any<'c>(self, on: impl On<'c>) -> StoreResult<Option<O>> {
        self.fetch_optional(on).await.map_err(db_err)
    }

    async fn values<'c>(self, on: impl On<'c>) -> StoreResult<Vec<O>> {
        self.fetch_all(on).await.map_err(db_err)
    }
}

// The same three fetches as for `query_scalar`, under `query_as`'s bound on what it reads.
impl<O> Values<O> for DbQueryAs<'_, O>
where
    O: Send + Unpin + 'static + for<'r> sqlx::FromRow<'r, DbRow>,
{
    async fn value<'c>(self, on: impl On<'c>) -> StoreResult<O> {
        self.fetch_one(on).await.map_err(db_err)
    }

    async fn value_if_any<'c>(self, on: impl On<'c>) -> StoreResult<Option<O>> {
        self.fetch_optional(on).await.map_err(db_err)
    }

    async fn values<'c>(self, on: impl On<'c>) -> StoreResult<Vec<O>> {
        self.fetch_all(on).await.map_err(db_err)
    }
}
