//! The PostgreSQL backend: a pooled connection per request, jobs claimed with
//! `FOR UPDATE SKIP LOCKED`, migrations under sqlx's advisory lock so nodes can start together,
//! and `idle_in_transaction_session_timeout` set so a stuck client never holds locks for long.
//! The SQL both databases share is the `portable` module (compiled here from
//! `kefu-store/src/portable/`).

use crate::portable::Values;
use async_trait::async_trait;
use kefu_store::{Admin, Dump, DumpTable, ImportPurchase, PoolStats, SchemaStatus, StoreError, StoreResult, TABLES};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Column, Executor, PgPool, Postgres, Row, Transaction, TypeInfo};
use std::str::FromStr;
use std::time::Duration;

pub mod testing;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database and the store the shared SQL (`portable`) is compiled for.
type Db = Postgres;
type DbStore = PostgresStore;
/// What reads run on: the one pool.
type DbReader = PgPool;

#[path = "../../kefu-store/src/portable/mod.rs"]
mod portable;
use portable::{Backend, Run, backup, db_err};

#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

/// Every store trait is implemented (here and in `portable`).
impl kefu_store::Store for PostgresStore {}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`), with at most `max_connections`.
    pub async fn open(url: &str, max_connections: u32) -> StoreResult<PostgresStore> {
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))?
            .application_name("kefu")
            .options([("idle_in_transaction_session_timeout", "30s"), ("lock_timeout", "30s")]);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to PostgreSQL at {}: {e}", redact(url))))?;
        Ok(PostgresStore { pool })
    }

    pub fn known_migrations() -> Vec<i64> {
        backup::known_migrations(&MIGRATOR)
    }

    async fn applied_migrations(&self) -> StoreResult<Vec<i64>> {
        let has: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .value(&self.pool)
            .await?;
        if !has {
            return Ok(vec![]);
        }
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .values(&self.pool)
            .await
    }

    async fn table_columns(&self, table: &str) -> StoreResult<Vec<(String, String)>> {
        sqlx::query_as("SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position")
            .bind(table)
            .values(&self.pool)
            .await
    }
}

/// The URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Backend for PostgresStore {
    fn writer(&self) -> &PgPool {
        &self.pool
    }
    fn reader(&self) -> &PgPool {
        &self.pool
    }
    async fn write_tx(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
    /// Bulk statements number their parameters `$1, $2, ...`: see `portable::mark_list`.
    const NUMBERED_PARAMS: bool = true;
    const ROW_LOCK: &'static str = " FOR UPDATE";
    async fn claim_job_row(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
    ) -> StoreResult<Option<<sqlx::Postgres as sqlx::Database>::Row>> {
        // SKIP LOCKED: concurrent claimers on any node pass over rows another is taking.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET status = 'running', locked_by = $1, lease_until = $2 + $3, attempts = attempts + 1, updated_at = $2 \
             WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $2) OR (status = 'running' AND lease_until < $2) \
                         ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING {}",
            portable::JOB_COLUMNS
        )))
        .bind(worker)
        .bind(now)
        .bind(lease_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)
    }
    async fn backend_index_customers(&self, rows: &[(i64, kefu_core::search::IndexTerms)]) -> StoreResult<()> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let refs: Vec<(i64, &kefu_core::search::IndexTerms)> = rows.iter().map(|(id, t)| (*id, t)).collect();
        Self::upsert_search_in(&mut tx, "customer_search", "customer_id", &refs).await?;
        if rows.len() >= 1_000 {
            // A bulk reindex (after an import): fresh statistics for the search plans.
            sqlx::query("ANALYZE customer_search").run(&mut *tx).await?;
        }
        tx.commit().await.map_err(db_err)
    }
    async fn backend_search_customers(
        &self,
        query: &[kefu_core::search::QueryPart],
        cols: &str,
        within: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<sqlx::postgres::PgRow>> {
        let (conds, values) = Self::match_conditions(query, 1);
        let sql = format!(
            "SELECT {cols} FROM customer_search s JOIN customers c ON c.id = s.customer_id WHERE {} AND c.deleted_at IS NULL AND ({}) ORDER BY c.id LIMIT ${}",
            conds.join(" AND "),
            portable::WITHIN_SQL.replace("$2", &format!("${}", query.len() + 1)),
            query.len() + 2
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in values {
            q = q.bind(v);
        }
        q.bind(within)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)
    }
    /// The ticket search: the tickets whose search row matches every part of the query.
    fn ticket_match_sql(query: &[kefu_core::search::QueryPart], first: usize) -> portable::tickets::TicketMatch {
        let (conds, texts) = Self::match_conditions(query, first);
        portable::tickets::TicketMatch {
            from: "tickets t",
            id: "t.id",
            cond: format!(
                "t.id IN (SELECT s.ticket_id FROM ticket_search s WHERE {})",
                conds.join(" AND ")
            ),
            texts,
        }
    }
    /// Indexes tickets' search terms, replacing what each had.
    async fn index_tickets_in(
        tx: &mut Transaction<'_, Postgres>,
        rows: &[(i64, &kefu_core::search::IndexTerms)],
    ) -> StoreResult<()> {
        Self::upsert_search_in(tx, "ticket_search", "ticket_id", rows).await
    }
    /// One batch of a purchase import: `INSERT ... SELECT FROM UNNEST(arrays)` per 5,000 rows, so
    /// the statement text and its plan stay the same whatever the batch size.
    async fn write_purchases(
        tx: &mut Transaction<'static, Postgres>,
        rows: Vec<ImportPurchase>,
        now: i64,
    ) -> StoreResult<()> {
        for rows in rows.chunks(PURCHASE_BATCH) {
            let mut external_id = Vec::with_capacity(PURCHASE_BATCH);
            let mut customer_id = Vec::with_capacity(PURCHASE_BATCH);
            let mut purchased_on = Vec::with_capacity(PURCHASE_BATCH);
            let mut amount_minor = Vec::with_capacity(PURCHASE_BATCH);
            let mut currency = Vec::with_capacity(PURCHASE_BATCH);
            let mut sku = Vec::with_capacity(PURCHASE_BATCH);
            let mut product_name = Vec::with_capacity(PURCHASE_BATCH);
            let mut category = Vec::with_capacity(PURCHASE_BATCH);
            let mut serial = Vec::with_capacity(PURCHASE_BATCH);
            let mut seller_id = Vec::with_capacity(PURCHASE_BATCH);
            for p in rows {
                external_id.push(&*p.external_id);
                customer_id.push(p.customer_id);
                purchased_on.push(&*p.purchased_on);
                amount_minor.push(p.amount_minor);
                currency.push(&*p.currency);
                sku.push(&*p.sku);
                product_name.push(&*p.product_name);
                category.push(&*p.category);
                serial.push(&*p.serial);
                seller_id.push(p.seller_id);
            }
            sqlx::query(
                "INSERT INTO purchases (external_id, customer_id, purchased_on, amount_minor, currency, sku, product_name, category, serial, seller_id, created_at) \
                 SELECT t.*, $11 FROM UNNEST($1::text[], $2::int8[], $3::text[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int8[]) AS t \
                 ON CONFLICT (external_id) DO UPDATE SET customer_id = excluded.customer_id, purchased_on = excluded.purchased_on, amount_minor = excluded.amount_minor, \
                 currency = excluded.currency, sku = excluded.sku, product_name = excluded.product_name, category = excluded.category, serial = excluded.serial, seller_id = excluded.seller_id",
            )
            .bind(external_id)
            .bind(customer_id)
            .bind(purchased_on)
            .bind(amount_minor)
            .bind(currency)
            .bind(sku)
            .bind(product_name)
            .bind(category)
            .bind(serial)
            .bind(seller_id)
            .bind(now)
            .run(&mut **tx)
            .await?;
        }
        Ok(())
    }
    /// Bulk writes need no setting changed on PostgreSQL (see the SQLite backend's).
    async fn bulk_write_begins(_tx: &mut Transaction<'static, Postgres>) -> StoreResult<()> {
        Ok(())
    }
    /// Fresh planner statistics before the bulk write commits: after 100,000 customers arrive in an
    /// empty database, the planner still believed in a few hundred rows until autovacuum came by,
    /// and took a scan of every customer for a subtree of 10,000 (70-200 ms instead of a few).
    /// ANALYZE in the transaction counts its own new rows.
    async fn bulk_write_ends(tx: &mut Transaction<'static, Postgres>) -> StoreResult<()> {
        sqlx::query("ANALYZE customers, customer_paths, contacts, purchases, survey_responses")
            .run(&mut **tx)
            .await?;
        Ok(())
    }
    /// Holds every answer's statistics write back until the rebuild's transaction ends: an answer
    /// already folding commits first (and the rebuild reads it), one that has not yet folded waits
    /// and then folds into the rebuilt rows.
    async fn lock_survey_stats(tx: &mut Transaction<'static, Postgres>) -> StoreResult<()> {
        sqlx::query("LOCK TABLE survey_stats IN SHARE ROW EXCLUSIVE MODE")
            .run(&mut **tx)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Admin for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    #[tracing::instrument(skip_all)]
    async fn migrate(&self) -> StoreResult<()> {
        let status = self.schema_status().await?;
        backup::refuse_newer_schema(&status, &Self::known_migrations())?;
        // sqlx holds a pg_advisory_lock while migrating: nodes starting together migrate once.
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Database(format!("migration failed: {e}")))
    }

    #[tracing::instrument(skip_all)]
    async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        Ok(backup::schema_status(
            &Self::known_migrations(),
            &self.applied_migrations().await?,
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }

    /// After a million tickets arrive, the planner still believes the tables small until
    /// autovacuum comes by, and plans a queue page as a scan of every ticket's messages.
    #[tracing::instrument(skip_all)]
    async fn refresh_statistics(&self) -> StoreResult<()> {
        sqlx::query("ANALYZE").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn is_empty(&self) -> StoreResult<bool> {
        if self.applied_migrations().await?.is_empty() {
            return Ok(true);
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .value(&self.pool)
            .await?;
        Ok(n == 0)
    }

    #[tracing::instrument(skip_all)]
    async fn dump(&self) -> StoreResult<Dump> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .map_err(db_err)?;
        let schema_version = backup::schema_version(&mut tx).await?;
        let mut tables = Vec::new();
        for &name in TABLES {
            let cols = self.table_columns(name).await?;
            let columns: Vec<String> = cols.iter().map(|(c, _)| c.clone()).collect();
            let order = if columns.iter().any(|c| c == "id") {
                "id".to_owned()
            } else {
                columns.join(", ")
            };
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM {name} ORDER BY {order}",
                columns.join(", ")
            )))
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
            let out = backup::json_rows(name, &rows, |row, i| {
                Ok(Ok(match row.columns()[i].type_info().name() {
                    "INT8" => row.try_get::<i64, _>(i)?.into(),
                    "INT4" => row.try_get::<i32, _>(i)?.into(),
                    "INT2" => row.try_get::<i16, _>(i)?.into(),
                    "BOOL" => row.try_get::<bool, _>(i)?.into(),
                    "FLOAT8" => row.try_get::<f64, _>(i)?.into(),
                    "TEXT" | "VARCHAR" => row.try_get::<String, _>(i)?.into(),
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
        Ok(backup::dump("postgres", schema_version, tables))
    }

    #[tracing::instrument(skip_all)]
    async fn restore(&self, dump: &Dump) -> StoreResult<()> {
        let mut plans = Vec::new();
        for t in &dump.tables {
            backup::known_table(t)?;
            let cols = self.table_columns(&t.name).await?;
            let mut types = Vec::with_capacity(t.columns.len());
            for c in &t.columns {
                match cols.iter().find(|(name, _)| name == c) {
                    Some((_, ty)) => types.push(ty.clone()),
                    None => return Err(backup::unknown_column(t, c)),
                }
            }
            plans.push((t, types, cols.iter().any(|(c, _)| c == "id")));
        }
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // A customer may buy through one with a higher id (moved later): check parents at commit.
        tx.execute("SET CONSTRAINTS ALL DEFERRED").await.map_err(db_err)?;
        backup::empty_tables(&mut tx).await?;
        for name in TABLES {
            let Some((t, types, has_id)) = plans.iter().find(|(t, _, _)| t.name == *name) else {
                continue;
            };
            backup::insert_rows(&mut tx, t, |q, i, v| {
                let ty = types[i].as_str();
                let bad = || StoreError::Refused(format!("{v} is not a {ty}"));
                Ok(match ty {
                    "bigint" | "integer" | "smallint" => q.bind(match v {
                        serde_json::Value::Null => None,
                        serde_json::Value::Bool(b) => Some(i64::from(*b)),
                        _ => Some(v.as_i64().ok_or_else(bad)?),
                    }),
                    "boolean" => q.bind(match v {
                        serde_json::Value::Null => None,
                        serde_json::Value::Bool(b) => Some(*b),
                        _ => Some(v.as_i64().ok_or_else(bad)? != 0),
                    }),
                    "double precision" | "real" => q.bind(match v {
                        serde_json::Value::Null => None,
                        _ => Some(v.as_f64().ok_or_else(bad)?),
                    }),
                    _ => q.bind(match v {
                        serde_json::Value::Null => None,
                        serde_json::Value::String(s) => Some(s.clone()),
                        other => Some(other.to_string()),
                    }),
                })
            })
            .await?;
            if *has_id {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {name}"
                ))).run(&mut *tx).await?;
            }
        }
        backup::finish_restore(tx).await
    }

    #[tracing::instrument(skip_all)]
    async fn close(&self) {
        self.pool.close().await;
    }
}

impl PostgresStore {
    /// Conditions on the search table alias `s` that every part of the query must meet, with
    /// their text parameters numbered from `$first`.
    fn match_conditions(query: &[kefu_core::search::QueryPart], first: usize) -> (Vec<String>, Vec<String>) {
        use kefu_core::search::QueryPart;
        let mut conds = Vec::with_capacity(query.len());
        let mut values = Vec::with_capacity(query.len());
        for (i, p) in query.iter().enumerate() {
            let n = first + i;
            // Terms hold only letters and digits (kefu-core::search), so they carry no tsquery operators.
            match p {
                QueryPart::Word(w) => {
                    conds.push(format!("to_tsvector('simple', s.words) @@ to_tsquery('simple', ${n})"));
                    values.push(format!("{w}:*"));
                }
                QueryPart::BigramPhrase(b) => {
                    conds.push(format!(
                        "to_tsvector('simple', s.bigrams) @@ phraseto_tsquery('simple', ${n})"
                    ));
                    values.push(b.join(" "));
                }
                QueryPart::Unigram(u) => {
                    conds.push(format!(
                        "to_tsvector('simple', s.unigrams) @@ plainto_tsquery('simple', ${n})"
                    ));
                    values.push(u.clone());
                }
            }
        }
        (conds, values)
    }

    /// Writes search terms into `table` keyed by `key`, replacing a row's old terms: one
    /// statement per 2,000.
    async fn upsert_search_in(
        tx: &mut Transaction<'_, Postgres>,
        table: &'static str,
        key: &'static str,
        rows: &[(i64, &kefu_core::search::IndexTerms)],
    ) -> StoreResult<()> {
        for chunk in rows.chunks(2_000) {
            let mut ids = Vec::with_capacity(chunk.len());
            let (mut words, mut bigrams, mut unigrams) = (Vec::new(), Vec::new(), Vec::new());
            for (id, terms) in chunk {
                let (w, b, u) = terms.columns();
                ids.push(*id);
                words.push(w);
                bigrams.push(b);
                unigrams.push(u);
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} ({key}, words, bigrams, unigrams) \
                 SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[]) \
                 ON CONFLICT ({key}) DO UPDATE SET words = excluded.words, bigrams = excluded.bigrams, unigrams = excluded.unigrams"
            )))
            .bind(ids)
            .bind(words)
            .bind(bigrams)
            .bind(unigrams)
            .run(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// Rows per `UNNEST` upsert of purchases: one statement with ten array parameters.
const PURCHASE_BATCH: usize = 5_000;

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://kefu:hunter2@db:5432/kefu"),
            "postgres://kefu:***@db:5432/kefu"
        );
        assert_eq!(
            super::redact("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}
