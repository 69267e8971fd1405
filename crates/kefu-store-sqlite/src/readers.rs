//! The read-only connections, kept by the store instead of returned to sqlx's pool after each
//! statement.
//!
//! A SQLite connection lives on a thread of its own: every statement is a hand-off to that thread
//! and back. sqlx's pool adds a second hand-off to each statement run on the pool: it pings the
//! connection when it is given back, a guard against a connection left mid-statement by a
//! cancelled future. For a page of 15 reads that doubles the thread switches, and perf showed the
//! server spending most of its time in them (docs/architecture.md, "Reading SQLite"). A
//! connection's thread takes its commands in order, so a connection given back mid-statement only
//! makes the next statement wait for the first one to end; and a connection to a local file does
//! not go stale. So [`Readers`] keeps the connections it has taken from the pool and hands them
//! out again without a ping; a connection whose statement failed below SQL (I/O, a crashed
//! thread) goes back to the pool, whose ping decides whether it is kept.

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteQueryResult, SqliteRow, SqliteStatement, SqliteTypeInfo};
use sqlx::{Describe, Either, Execute, Executor, SqlStr, Sqlite, SqlitePool};
use std::sync::Mutex;
use tokio::sync::{Semaphore, SemaphorePermit};

/// The read-only pool and the connections taken from it, at most the pool's size in use at once.
pub(crate) struct Readers {
    pool: SqlitePool,
    /// Connections taken from the pool and not in use.
    kept: Mutex<Vec<PoolConnection<Sqlite>>>,
    /// One permit per connection the pool may open: a statement waits here, not in the pool,
    /// which has no connection to give while all of them are kept.
    permits: Semaphore,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

/// A connection in use; given back to [`Readers`] when dropped.
struct Taken<'r> {
    conn: Option<PoolConnection<Sqlite>>,
    home: &'r Readers,
    _permit: SemaphorePermit<'r>,
}

impl Readers {
    pub(crate) fn new(pool: SqlitePool) -> Readers {
        let size = pool.options().get_max_connections() as usize;
        Readers {
            pool,
            kept: Mutex::new(Vec::new()),
            permits: Semaphore::new(size),
        }
    }

    /// The pool itself, for its figures. Nothing else takes a connection from it: the
    /// connections it holds are kept here, so it may have none to give.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// One connection for several statements (a read transaction), kept again when dropped.
    pub(crate) async fn connection(
        &self,
    ) -> Result<impl std::ops::DerefMut<Target = sqlx::SqliteConnection> + '_, sqlx::Error> {
        self.take().await
    }

    /// Connections open and not in use: those idle in the pool and those kept here.
    pub(crate) fn idle(&self) -> usize {
        self.pool.num_idle() + self.kept.lock().map(|k| k.len()).unwrap_or(0)
    }

    async fn take(&self) -> Result<Taken<'_>, sqlx::Error> {
        let permit = self.permits.acquire().await.map_err(|_| sqlx::Error::PoolClosed)?;
        let kept = self.kept.lock().ok().and_then(|mut k| k.pop());
        let conn = match kept {
            Some(c) => c,
            None => self.pool.acquire().await?,
        };
        Ok(Taken {
            conn: Some(conn),
            home: self,
            _permit: permit,
        })
    }

    /// Stops handing out connections and gives every kept one back to the pool, so that the
    /// pool's `close` finds them all returned; connections in use go back to the pool when their
    /// statement ends.
    pub(crate) async fn close(&self) {
        self.permits.close();
        let kept = self
            .kept
            .lock()
            .map(|mut k| std::mem::take(&mut *k))
            .unwrap_or_default();
        drop(kept);
        self.pool.close().await;
    }
}

impl Taken<'_> {
    fn conn(&mut self) -> &mut sqlx::SqliteConnection {
        self.conn.as_mut().expect("a taken connection is held until dropped")
    }

    /// What a statement's result says of its connection: after an error below SQL the connection
    /// goes back to the pool instead of being kept.
    fn after<T>(mut self, r: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if let Err(e) = &r
            && matches!(
                e,
                sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed | sqlx::Error::Tls(_)
            )
        {
            drop(self.conn.take());
        }
        r
    }
}

impl std::ops::Deref for Taken<'_> {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &sqlx::SqliteConnection {
        self.conn.as_ref().expect("a taken connection is held until dropped")
    }
}

impl std::ops::DerefMut for Taken<'_> {
    fn deref_mut(&mut self) -> &mut sqlx::SqliteConnection {
        self.conn()
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if let Ok(mut kept) = self.home.kept.lock()
            && !self.home.permits.is_closed()
        {
            kept.push(conn);
        }
        // Otherwise the connection drops back into the pool (closing it once the pool is closed).
    }
}

/// Statements run on `&Readers` as on a pool: each takes a connection for itself.
impl<'c> Executor<'c> for &'c Readers {
    type Database = Sqlite;

    /// Collects the results before handing them on: no reader streams rows (every read is paged).
    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<SqliteQueryResult, SqliteRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        futures::stream::once(async move {
            let mut c = self.take().await?;
            let all = c.conn().fetch_many(query).try_collect::<Vec<_>>().await;
            c.after(all).map(|v| futures::stream::iter(v.into_iter().map(Ok)))
        })
        .try_flatten()
        .boxed()
    }

    fn fetch_all<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Vec<SqliteRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        Box::pin(async move {
            let mut c = self.take().await?;
            let r = c.conn().fetch_all(query).await;
            c.after(r)
        })
    }

    fn execute<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<SqliteQueryResult, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        Box::pin(async move {
            let mut c = self.take().await?;
            let r = c.conn().execute(query).await;
            c.after(r)
        })
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<SqliteRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        Box::pin(async move {
            let mut c = self.take().await?;
            let r = c.conn().fetch_optional(query).await;
            c.after(r)
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [SqliteTypeInfo],
    ) -> BoxFuture<'e, Result<SqliteStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        Box::pin(async move {
            let mut c = self.take().await?;
            let r = c.conn().prepare_with(sql, parameters).await;
            c.after(r)
        })
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<Sqlite>, sqlx::Error>>
    where
        'c: 'e,
    {
        Box::pin(async move {
            let mut c = self.take().await?;
            let r = c.conn().describe(sql).await;
            c.after(r)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    async fn readers(dir: &tempfile::TempDir, size: u32) -> Readers {
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("r.db"))
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(size)
            .connect_with(options)
            .await
            .unwrap();
        Readers::new(pool)
    }

    /// The rows 1..=n, counted by SQLite (long enough to be cancelled mid-statement at large n).
    fn count_to(n: i64) -> sqlx::query::QueryScalar<'static, Sqlite, i64, sqlx::sqlite::SqliteArguments> {
        sqlx::query_scalar(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1) SELECT COUNT(*) FROM c",
        )
        .bind(n)
    }

    #[tokio::test]
    async fn more_statements_than_connections_all_run_and_the_connections_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let r = readers(&dir, 2).await;
        let all = futures::future::try_join_all((1..=40).map(|n| count_to(n).fetch_one(&r)))
            .await
            .unwrap();
        assert_eq!(all, (1..=40).collect::<Vec<i64>>());
        assert!(r.pool().size() <= 2, "the pool opened {} connections", r.pool().size());
        // Every connection taken is kept, none left in use.
        assert_eq!(r.idle(), r.pool().size() as usize);
        assert_eq!(r.pool().num_idle(), 0);
        // Every kind of statement runs: rows, one row, an optional row, an effect.
        let rows = sqlx::query("SELECT 1 AS a UNION ALL SELECT 2")
            .fetch_all(&r)
            .await
            .unwrap();
        assert_eq!(
            rows.iter().map(|x| x.get::<i64, _>("a")).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let none = sqlx::query("SELECT 1 WHERE 0").fetch_optional(&r).await.unwrap();
        assert!(none.is_none());
        let streamed: Vec<i64> = sqlx::query_scalar("SELECT 3 UNION ALL SELECT 4")
            .fetch_all(&r)
            .await
            .unwrap();
        assert_eq!(streamed, vec![3, 4]);
        sqlx::query("SELECT 1").execute(&r).await.unwrap();
        // With every connection kept, a read transaction still gets one (the pool has none left).
        assert_eq!(r.pool().size(), 2);
        let (mut c1, mut c2) = (r.connection().await.unwrap(), r.connection().await.unwrap());
        let mut tx = sqlx::Connection::begin(&mut *c1).await.unwrap();
        assert_eq!(count_to(5).fetch_one(&mut *tx).await.unwrap(), 5);
        tx.commit().await.unwrap();
        assert_eq!(count_to(2).fetch_one(&mut *c2).await.unwrap(), 2);
        drop((c1, c2));
        assert_eq!(r.idle(), 2);
        r.close().await;
        assert!(
            count_to(1).fetch_one(&r).await.is_err(),
            "closed readers hand out nothing"
        );
    }

    #[tokio::test]
    async fn a_statement_cancelled_midway_leaves_its_connection_usable() {
        let dir = tempfile::tempdir().unwrap();
        let r = readers(&dir, 1).await;
        // Two million rows take SQLite far longer than a millisecond: the future is dropped while
        // the connection's thread still counts (had it finished, the rest holds all the same).
        let _ = tokio::time::timeout(std::time::Duration::from_millis(1), count_to(2_000_000).fetch_one(&r)).await;
        // The one connection is kept, and the next statement gets its own answer, not the count's.
        assert_eq!(count_to(7).fetch_one(&r).await.unwrap(), 7);
        assert_eq!(r.pool().size(), 1);
        r.close().await;
    }

    #[tokio::test]
    async fn an_sql_error_keeps_the_connection() {
        let dir = tempfile::tempdir().unwrap();
        let r = readers(&dir, 1).await;
        let e = sqlx::query("SELECT * FROM no_such_table")
            .fetch_all(&r)
            .await
            .unwrap_err();
        assert!(matches!(e, sqlx::Error::Database(_)), "{e:?}");
        assert_eq!(count_to(3).fetch_one(&r).await.unwrap(), 3);
        assert_eq!(r.idle(), 1);
        r.close().await;
    }
}
