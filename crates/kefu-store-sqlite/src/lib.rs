//! The SQLite backend: one file in WAL mode, a single writer connection (writes take
//! `BEGIN IMMEDIATE`, so they queue instead of failing with SQLITE_BUSY) and a pool of read-only
//! readers. The SQL both databases share is the `portable` module (compiled here from
//! `kefu-store/src/portable/`); what is SQLite's own (job claims, search, backups) is here.

use crate::portable::Values;
use async_trait::async_trait;
use kefu_store::{Admin, Dump, DumpTable, ImportPurchase, PoolStats, SchemaStatus, StoreError, StoreResult, TABLES};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Column, Row, Sqlite, SqlitePool, Transaction, TypeInfo, ValueRef};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database and the store the shared SQL (`portable`) is compiled for.
type Db = Sqlite;
type DbStore = SqliteStore;
/// What reads run on: the read-only connections, kept between statements (see `readers`).
type DbReader = readers::Readers;

mod readers;

#[path = "../../kefu-store/src/portable/mod.rs"]
mod portable;
use portable::backup::{self, schema_status};
use portable::{Backend, Run, db_err};

#[derive(Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: std::sync::Arc<readers::Readers>,
    path: PathBuf,
    /// The background merge of the search indexes, stopped by `close`.
    merger: std::sync::Arc<tokio::task::JoinHandle<()>>,
}

/// Every store trait is implemented (here and in `portable`).
impl kefu_store::Store for SqliteStore {}

/// The FTS5 search indexes.
const SEARCH_TABLES: [&str; 2] = ["customer_search", "ticket_search"];

/// How often the search indexes' segments are merged, and how much at most (pages) a time. Each
/// write transaction adds a small segment to an FTS5 index; left to FTS5's `automerge`, merging
/// them runs inside whichever commit fills a level, and that commit's callers wait for it: with
/// it, ticket creation at 16 connections had a p99 of 21-27 ms; merged here instead, between
/// transactions in small steps, 6-11 ms (with 250 ms / 400 pages: 17 ms). FTS5's `merge` command
/// merges only where a level holds 4 segments or more.
const FTS_MERGE_EVERY: Duration = Duration::from_millis(100);
const FTS_MERGE_PAGES: u32 = 64;

/// The file path in a `sqlite:` URL (`sqlite:///abs/path`, `sqlite://rel/path`, `sqlite:path`) or a bare path.
pub fn path_from_url(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let rest = rest.split('?').next().unwrap_or(rest);
    PathBuf::from(rest)
}

impl SqliteStore {
    /// Opens (creating the file and its folder if missing) the database at `url`.
    pub async fn open(url: &str, readers: u32) -> StoreResult<SqliteStore> {
        let path = path_from_url(url);
        if path.as_os_str().is_empty() {
            return Err(StoreError::Unavailable(format!("no SQLite file path in {url:?}")));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("cannot create folder {}: {e}", dir.display())))?;
        }
        let base = SqliteConnectOptions::from_str("sqlite://")
            .map_err(db_err)?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: an acknowledged commit survives a power cut, not just a killed process.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory")
            .pragma("cache_size", CACHE_SIZE);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.clone())
            .await
            .map_err(|e| open_err(&path, e))?;
        // Touch the file so a corrupt or foreign file is reported now, not on the first request.
        sqlx::query("SELECT COUNT(*) FROM sqlite_master")
            .execute(&writer)
            .await
            .map_err(|e| open_err(&path, e))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers.max(1))
            .min_connections(1)
            // A connection to a local file is not lost while idle: testing it before each use
            // would cost every query one more round trip to its connection's thread.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.read_only(true).pragma("query_only", "ON"))
            .await
            .map_err(|e| open_err(&path, e))?;
        let w = writer.clone();
        let merger = tokio::spawn(async move {
            loop {
                tokio::time::sleep(FTS_MERGE_EVERY).await;
                for table in SEARCH_TABLES {
                    let merge = format!("INSERT INTO {table} ({table}, rank) VALUES ('merge', {FTS_MERGE_PAGES})");
                    // Before the first migration there is no index yet: nothing to merge.
                    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(merge)).execute(&w).await {
                        tracing::debug!(error = %e, table, "search index merge");
                    }
                }
            }
        });
        Ok(SqliteStore {
            writer,
            reader: std::sync::Arc::new(readers::Readers::new(reader)),
            path,
            merger: std::sync::Arc::new(merger),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Migrations this build knows, by version.
    pub fn known_migrations() -> Vec<i64> {
        backup::known_migrations(&MIGRATOR)
    }

    async fn applied_migrations(&self) -> StoreResult<Vec<i64>> {
        let has: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
                .value(&self.writer)
                .await?;
        if has == 0 {
            return Ok(vec![]);
        }
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .values(&self.writer)
            .await
    }

    async fn table_columns(&self, table: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM pragma_table_info($1)")
            .bind(table)
            .fetch_all(&self.writer)
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| r.try_get::<String, _>(0).map_err(db_err)).collect()
    }
}

fn open_err(path: &Path, e: sqlx::Error) -> StoreError {
    let msg = e.to_string();
    if msg.contains("not a database") || msg.contains("malformed") {
        StoreError::Unavailable(format!(
            "{} is not a kefu SQLite database or is corrupt ({msg}); restore it from a backup",
            path.display()
        ))
    } else {
        StoreError::Unavailable(format!("cannot open {}: {msg}", path.display()))
    }
}

impl Backend for SqliteStore {
    fn writer(&self) -> &SqlitePool {
        &self.writer
    }
    fn reader(&self) -> &readers::Readers {
        &self.reader
    }
    async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }
    /// Bulk statements use positional `?` marks: see `portable::mark_list`.
    const NUMBERED_PARAMS: bool = false;
    /// The write transaction holds the one writer: its reads are already the latest.
    const ROW_LOCK: &'static str = "";
    async fn claim_job_row(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
    ) -> StoreResult<Option<<sqlx::Sqlite as sqlx::Database>::Row>> {
        // One statement on the single writer: atomic, so no two workers get the same row.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET status = 'running', locked_by = $1, lease_until = $2 + $3, attempts = attempts + 1, updated_at = $2 \
             WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $2) OR (status = 'running' AND lease_until < $2) ORDER BY run_at, id LIMIT 1) \
             RETURNING {}",
            portable::JOB_COLUMNS
        )))
        .bind(worker)
        .bind(now)
        .bind(lease_ms)
        .fetch_optional(&self.writer)
        .await
        .map_err(db_err)
    }
    async fn backend_index_customers(&self, rows: &[(i64, kefu_core::search::IndexTerms)]) -> StoreResult<()> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let refs: Vec<(i64, &kefu_core::search::IndexTerms)> = rows.iter().map(|(id, t)| (*id, t)).collect();
        Self::replace_search_in(&mut tx, "customer_search", &refs).await?;
        tx.commit().await.map_err(db_err)
    }
    async fn backend_search_customers(
        &self,
        query: &[kefu_core::search::QueryPart],
        cols: &str,
        within: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<sqlx::sqlite::SqliteRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {cols} FROM customer_search s JOIN customers c ON c.id = s.rowid \
             WHERE customer_search MATCH $1 AND c.deleted_at IS NULL AND ({WITHIN}) ORDER BY c.id LIMIT $3",
            WITHIN = portable::WITHIN_SQL
        )))
        .bind(Self::match_expression(query))
        .bind(within)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(db_err)
    }
    /// The ticket search: FTS5 yields matching rowids newest first and
    /// the tickets are joined to them one by one (CROSS JOIN keeps the index the outer loop), so a
    /// page of 50 stops after the first 50 that pass the filters instead of collecting every
    /// match of a common word first (空调 in a million tickets: 600 ms before).
    fn ticket_match_sql(query: &[kefu_core::search::QueryPart], first: usize) -> portable::tickets::TicketMatch {
        portable::tickets::TicketMatch {
            from: "ticket_search s CROSS JOIN tickets t ON t.id = s.rowid",
            id: "s.rowid",
            cond: format!("s.ticket_search MATCH ${first}"),
            texts: vec![Self::match_expression(query)],
        }
    }
    /// Indexes tickets' search terms, replacing what each had.
    async fn index_tickets_in(
        tx: &mut Transaction<'_, Sqlite>,
        rows: &[(i64, &kefu_core::search::IndexTerms)],
    ) -> StoreResult<()> {
        Self::replace_search_in(tx, "ticket_search", rows).await
    }
    /// One batch of a purchase import, on the single writer inside the import's `BEGIN IMMEDIATE`:
    /// multi-row upserts with positional parameters; a full batch is always the same statement,
    /// which sqlx prepares once and caches.
    async fn write_purchases(
        tx: &mut Transaction<'static, Sqlite>,
        rows: Vec<ImportPurchase>,
        now: i64,
    ) -> StoreResult<()> {
        static FULL_BATCH: std::sync::OnceLock<std::sync::Arc<str>> = std::sync::OnceLock::new();
        let mut left = rows.len();
        let mut rows = rows.into_iter();
        while left > 0 {
            let n = left.min(PURCHASE_BATCH);
            let sql = if n == PURCHASE_BATCH {
                FULL_BATCH
                    .get_or_init(|| purchase_upsert_sql(PURCHASE_BATCH).into())
                    .clone()
            } else {
                purchase_upsert_sql(n).into()
            };
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for p in rows.by_ref().take(n) {
                q = q
                    .bind(p.external_id)
                    .bind(p.customer_id)
                    .bind(p.purchased_on)
                    .bind(p.amount_minor)
                    .bind(p.currency)
                    .bind(p.sku)
                    .bind(p.product_name)
                    .bind(p.category)
                    .bind(p.serial)
                    .bind(p.seller_id)
                    .bind(now);
            }
            q.execute(&mut **tx).await.map_err(db_err)?;
            left -= n;
        }
        Ok(())
    }
    async fn bulk_write_begins(tx: &mut Transaction<'static, Sqlite>) -> StoreResult<()> {
        Self::set_cache_size(tx, BULK_CACHE_SIZE).await
    }
    /// (Not reached when an import fails: the writer keeps the larger cache until the next one ends.)
    async fn bulk_write_ends(tx: &mut Transaction<'static, Sqlite>) -> StoreResult<()> {
        Self::set_cache_size(tx, CACHE_SIZE).await
    }
    /// Nothing to do: the rebuild's transaction holds the one writer, so no answer is recorded meanwhile.
    async fn lock_survey_stats(_tx: &mut Transaction<'static, Sqlite>) -> StoreResult<()> {
        Ok(())
    }
}

#[async_trait]
impl Admin for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    #[tracing::instrument(skip_all)]
    async fn migrate(&self) -> StoreResult<()> {
        let status = self.schema_status().await?;
        backup::refuse_newer_schema(&status, &Self::known_migrations())?;
        MIGRATOR
            .run(&self.writer)
            .await
            .map_err(|e| StoreError::Database(format!("migration failed: {e}")))?;
        // The search indexes merge their segments in the background (see `FTS_MERGE_EVERY`),
        // not inside the commit that happens to fill a level.
        for table in SEARCH_TABLES {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} ({table}, rank) VALUES ('automerge', 0)"
            )))
            .run(&self.writer)
            .await?;
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        Ok(schema_status(
            &Self::known_migrations(),
            &self.applied_migrations().await?,
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(self.reader()).await.map_err(db_err)?;
        Ok(())
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.reader.pool().size() + self.writer.size(),
            idle: u32::try_from(self.reader.idle() + self.writer.num_idle()).unwrap_or(u32::MAX),
            max: self.reader.pool().options().get_max_connections() + 1,
        }
    }

    /// Nothing to do: the SQLite queries are written not to depend on statistics (and the
    /// bundled SQLite plans with QPSG, see `.cargo/config.toml`).
    #[tracing::instrument(skip_all)]
    async fn refresh_statistics(&self) -> StoreResult<()> {
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn is_empty(&self) -> StoreResult<bool> {
        if self.applied_migrations().await?.is_empty() {
            return Ok(true);
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .value(self.reader())
            .await?;
        Ok(n == 0)
    }

    #[tracing::instrument(skip_all)]
    async fn dump(&self) -> StoreResult<Dump> {
        // One read transaction: in WAL mode every SELECT in it sees the same snapshot.
        let mut conn = self.reader.connection().await.map_err(db_err)?;
        let mut tx = sqlx::Connection::begin(&mut *conn).await.map_err(db_err)?;
        let schema_version = backup::schema_version(&mut tx).await?;
        let mut tables = Vec::new();
        for &name in TABLES {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {name} ORDER BY rowid")))
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
            let columns = match rows.first() {
                Some(r) => r.columns().iter().map(|c| c.name().to_owned()).collect(),
                None => self.table_columns(name).await?,
            };
            let out = backup::json_rows(name, &rows, |row, i| {
                Ok(Ok(match row.try_get_raw(i)?.type_info().name() {
                    "INTEGER" => row.try_get::<i64, _>(i)?.into(),
                    "REAL" => row.try_get::<f64, _>(i)?.into(),
                    "TEXT" => row.try_get::<String, _>(i)?.into(),
                    other => return Ok(Err(other.to_owned())),
                }))
            })?;
            tables.push(DumpTable {
                name: name.to_owned(),
                columns,
                rows: out,
            });
        }
        tx.commit().await.map_err(db_err)?;
        Ok(backup::dump("sqlite", schema_version, tables))
    }

    #[tracing::instrument(skip_all)]
    async fn restore(&self, dump: &Dump) -> StoreResult<()> {
        let mut actual = Vec::new();
        for t in &dump.tables {
            backup::known_table(t)?;
            let cols = self.table_columns(&t.name).await?;
            if let Some(c) = t.columns.iter().find(|c| !cols.contains(c)) {
                return Err(backup::unknown_column(t, c));
            }
            actual.push(t);
        }
        let mut tx = self.write_tx().await.map_err(db_err)?;
        sqlx::query("PRAGMA defer_foreign_keys = ON").run(&mut *tx).await?;
        // The search index is derived data: emptied here, rebuilt from the restored rows by the app.
        for index in ["customer_search", "ticket_search"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {index}")))
                .run(&mut *tx)
                .await?;
        }
        backup::empty_tables(&mut tx).await?;
        for name in TABLES {
            let Some(t) = actual.iter().find(|t| t.name == *name) else {
                continue;
            };
            backup::insert_rows(&mut tx, t, |q, _, v| {
                Ok(match v {
                    serde_json::Value::Null => q.bind(None::<i64>),
                    serde_json::Value::Bool(b) => q.bind(i64::from(*b)),
                    serde_json::Value::Number(n) if n.is_i64() => q.bind(n.as_i64()),
                    serde_json::Value::Number(n) => q.bind(n.as_f64()),
                    serde_json::Value::String(s) => q.bind(s.clone()),
                    other => q.bind(other.to_string()),
                })
            })
            .await?;
        }
        backup::finish_restore(tx).await
    }

    #[tracing::instrument(skip_all)]
    async fn close(&self) {
        self.merger.abort();
        self.writer.close().await;
        self.reader.close().await;
    }
}

impl SqliteStore {
    /// FTS5 MATCH expression of a parsed query; terms hold only letters and digits, quoted anyway.
    fn match_expression(query: &[kefu_core::search::QueryPart]) -> String {
        use kefu_core::search::QueryPart;
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        query
            .iter()
            .map(|p| match p {
                QueryPart::Word(w) => format!("words : {} *", q(w)),
                QueryPart::BigramPhrase(b) => format!("bigrams : {}", q(&b.join(" "))),
                QueryPart::Unigram(u) => format!("unigrams : {}", q(u)),
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// Writes search terms into the FTS5 `table` by rowid (a contentless-delete table replaces a
    /// row with the same rowid): one statement per 500.
    async fn replace_search_in(
        tx: &mut Transaction<'_, Sqlite>,
        table: &'static str,
        rows: &[(i64, &kefu_core::search::IndexTerms)],
    ) -> StoreResult<()> {
        for chunk in rows.chunks(500) {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT OR REPLACE INTO {table} (rowid, words, bigrams, unigrams) VALUES {}",
                portable::value_rows(false, 1, chunk.len(), "(?, ?, ?, ?)")
            )));
            for (id, terms) in chunk {
                let (words, bigrams, unigrams) = terms.columns();
                q = q.bind(*id).bind(words).bind(bigrams).bind(unigrams);
            }
            q.execute(&mut **tx).await.map_err(db_err)?;
        }
        Ok(())
    }
}

/// Rows per multi-row upsert of purchases (11 parameters each; SQLite allows 32,766 per statement).
/// 64 to 1,024 rows perform alike; one row per statement takes three times the CPU (bench/README.md).
const PURCHASE_BATCH: usize = 256;

fn purchase_upsert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO purchases (external_id, customer_id, purchased_on, amount_minor, currency, sku, product_name, category, serial, seller_id, created_at) \
         VALUES {} \
         ON CONFLICT (external_id) DO UPDATE SET customer_id = excluded.customer_id, purchased_on = excluded.purchased_on, amount_minor = excluded.amount_minor, \
         currency = excluded.currency, sku = excluded.sku, product_name = excluded.product_name, category = excluded.category, serial = excluded.serial, seller_id = excluded.seller_id",
        portable::value_rows(false, 1, rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    )
}

/// Each connection's page cache: 16 MB (a negative `cache_size` counts KiB).
const CACHE_SIZE: &str = "-16000";
/// The writer's page cache during a bulk write: 256 MB, so that the indexes a large import
/// writes all over stay in memory instead of being written out and read back.
const BULK_CACHE_SIZE: &str = "-262144";

impl SqliteStore {
    async fn set_cache_size(tx: &mut Transaction<'static, Sqlite>, size: &str) -> StoreResult<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = {size}")))
            .run(&mut **tx)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths() {
        assert_eq!(
            path_from_url("sqlite:///var/lib/kefu/kefu.db"),
            PathBuf::from("/var/lib/kefu/kefu.db")
        );
        assert_eq!(
            path_from_url("sqlite://data/kefu.db?mode=rwc"),
            PathBuf::from("data/kefu.db")
        );
        assert_eq!(path_from_url("sqlite:kefu.db"), PathBuf::from("kefu.db"));
        assert_eq!(path_from_url("/tmp/x.db"), PathBuf::from("/tmp/x.db"));
    }

    #[test]
    fn schema_status_sorts_versions() {
        let s = schema_status(&[1, 2, 3], &[1, 2, 7]);
        assert_eq!((s.applied, s.pending, s.unknown), (vec![1, 2], vec![3], vec![7]));
    }
}
