//! The ticket facts (docs/statistics.md#ticket-facts): each ticket's kept contribution
//! (`tickets.facts`) and the fact rows that sum them. Every write adds the difference between a
//! ticket's old and new contribution, in the transaction that changes the ticket, as one
//! multi-row upsert.

use crate::portable::{Backend, Run, Values, db_err};
use crate::{Db, DbStore};
use kefu_core::facts::{Contribution, FactKey, Grain, add_delta};
use kefu_store::{StoreError, StoreResult};
use std::collections::{BTreeMap, HashMap};

/// The separators of [`DbStore::fact_days`]'s joined rows: between fields, between rows.
const UNIT: &str = "\u{1f}";
const RECORD: &str = "\u{1e}";

/// Fact rows per upsert statement (6 parameters each).
const UPSERT_ROWS: usize = 1_000;

impl DbStore {
    /// Adds `deltas` to the fact rows inside the caller's write transaction; zero deltas skipped.
    pub(crate) async fn add_facts_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        deltas: &BTreeMap<FactKey, i64>,
    ) -> StoreResult<()> {
        let rows: Vec<(&FactKey, i64)> = deltas.iter().filter(|(_, v)| **v != 0).map(|(k, v)| (k, *v)).collect();
        // A change to the settled past makes every sum kept of it stale.
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let settled = kefu_core::facts::settled_before(now_ms);
        if rows
            .iter()
            .any(|(k, _)| k.grain == Grain::Day && k.period.as_str() < settled.as_str())
        {
            Self::bump_epoch(tx, "ticket_facts").await?;
        }
        for chunk in rows.chunks(UPSERT_ROWS) {
            let sql = format!(
                "INSERT INTO ticket_facts (segment, grain, period, kind, figure, value) VALUES {} \
                    ON CONFLICT (segment, grain, period, kind, figure) DO UPDATE SET value = ticket_facts.value + \
                    excluded.value",
                crate::portable::value_rows(Self::NUMBERED_PARAMS, 1, chunk.len(), "(?, ?, ?, ?, ?, ?)")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (k, v) in chunk {
                q = q
                    .bind(&k.segment)
                    .bind(k.grain.as_str())
                    .bind(&k.period)
                    .bind(&k.kind)
                    .bind(&k.figure)
                    .bind(*v);
            }
            q.run(&mut **tx).await?;
        }
        Ok(())
    }

    /// Bumps a kept statistic's epoch (`ticket_facts`, `survey_stats`: the `stats_epochs` table)
    /// inside the caller's write transaction (a row restored without it is made again).
    pub(crate) async fn bump_epoch(tx: &mut sqlx::Transaction<'_, Db>, name: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO stats_epochs (name, epoch) VALUES ($1, 1) \
                ON CONFLICT (name) DO UPDATE SET epoch = stats_epochs.epoch + 1",
        )
        .bind(name)
        .run(&mut **tx)
        .await
        .map(|_| ())
    }

    /// A kept statistic's epoch: it changes whenever a write changes what readers may keep of it
    /// (the ticket facts: a day before yesterday, UTC, or a reset; the survey statistics: a month
    /// before [`kefu_core::facts::month_settled_before`], or a rebuild).
    pub(crate) async fn epoch(&self, name: &str) -> StoreResult<i64> {
        let e: Option<i64> = sqlx::query_scalar("SELECT epoch FROM stats_epochs WHERE name = $1")
            .bind(name)
            .value_if_any(self.reader())
            .await?;
        Ok(e.unwrap_or(0))
    }

    /// Replaces the kept contributions of these tickets inside the caller's write transaction,
    /// adding the differences to the fact rows. The old ones are read under the rows' lock.
    pub(crate) async fn fold_facts_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        facts: &[(i64, &Contribution)],
    ) -> StoreResult<()> {
        if facts.is_empty() {
            return Ok(());
        }
        let mut deltas = BTreeMap::new();
        for chunk in facts.chunks(500) {
            let sql = format!(
                "SELECT id, facts FROM tickets WHERE id IN {}{}",
                crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len()),
                Self::ROW_LOCK
            );
            let mut q = sqlx::query_as::<_, (i64, Option<String>)>(sqlx::AssertSqlSafe(sql));
            for (id, _) in chunk {
                q = q.bind(*id);
            }
            let kept: HashMap<i64, Option<String>> =
                q.fetch_all(&mut **tx).await.map_err(db_err)?.into_iter().collect();
            for (id, new) in chunk {
                let old = match kept.get(id) {
                    None => return Err(StoreError::NotFound),
                    Some(None) => None,
                    Some(Some(json)) => Some(
                        Contribution::from_json(json)
                            .map_err(|e| StoreError::Data(format!("ticket {id}'s facts: {e}")))?,
                    ),
                };
                add_delta(&mut deltas, old.as_ref(), Some(new));
            }
            let sql = format!(
                "WITH v (id, facts) AS (VALUES {}) UPDATE tickets SET facts = (SELECT facts FROM v \
                    WHERE v.id = tickets.id) WHERE id IN (SELECT id FROM v)",
                crate::portable::value_rows(
                    Self::NUMBERED_PARAMS,
                    1,
                    chunk.len(),
                    "(CAST(? AS BIGINT), CAST(? AS TEXT))"
                )
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, new) in chunk {
                q = q.bind(*id).bind(new.to_json());
            }
            q.run(&mut **tx).await?;
        }
        Self::add_facts_in(tx, &deltas).await
    }

    pub(crate) async fn fold_ticket_facts_tx(&self, facts: &[(i64, Contribution)]) -> StoreResult<()> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let refs: Vec<(i64, &Contribution)> = facts.iter().map(|(id, c)| (*id, c)).collect();
        Self::fold_facts_in(&mut tx, &refs).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn unfolded_ticket_ids(&self, after: i64, limit: u32) -> StoreResult<Vec<i64>> {
        sqlx::query_scalar("SELECT id FROM tickets WHERE facts IS NULL AND id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(i64::from(limit))
            .values(self.reader())
            .await
    }

    pub(crate) async fn reset_facts(&self) -> StoreResult<u64> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        sqlx::query("DELETE FROM ticket_facts").run(&mut *tx).await?;
        Self::bump_epoch(&mut tx, "ticket_facts").await?;
        let n = sqlx::query("UPDATE tickets SET facts = NULL").run(&mut *tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    pub(crate) async fn fact_sums(
        &self,
        segment: &str,
        ranges: &[(Grain, String, String)],
    ) -> StoreResult<Vec<(String, String, i64)>> {
        if ranges.is_empty() {
            return Ok(vec![]);
        }
        // One range scan of the primary key per range: an OR of the ranges made SQLite read every
        // row of the segment, both grains and every period.
        let scans: Vec<String> = (0..ranges.len())
            .map(|i| {
                let p = 2 + 3 * i;
                format!(
                    "SELECT kind, figure, value FROM ticket_facts WHERE segment = $1 AND grain = ${p} \
                        AND period BETWEEN ${} AND ${}",
                    p + 1,
                    p + 2
                )
            })
            .collect();
        let sql = format!(
            "SELECT kind, figure, CAST(SUM(value) AS BIGINT) FROM ({}) f GROUP BY kind, figure",
            scans.join(" UNION ALL ")
        );
        let mut q = sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(sql)).bind(segment);
        for (grain, from, to) in ranges {
            q = q.bind(grain.as_str()).bind(from).bind(to);
        }
        q.values(self.reader()).await
    }

    pub(crate) async fn fact_days(
        &self,
        segment: &str,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<(String, String, String, i64)>> {
        // One value for all the rows: a dashboard asks for them on every request, and on SQLite
        // each row of a result is a hand-off from the connection's thread. Figures hold no control
        // characters (a touchpoint refuses them), so the unit and record separators split them.
        let joined: Option<String> = sqlx::query_scalar(
            "SELECT string_agg(period || $4 || kind || $4 || figure || $4 || CAST(value AS TEXT), $5) \
                FROM ticket_facts WHERE segment = $1 AND grain = 'day' AND period BETWEEN $2 AND $3",
        )
        .bind(segment)
        .bind(from)
        .bind(to)
        .bind(UNIT)
        .bind(RECORD)
        .value(self.reader())
        .await?;
        let mut out = Vec::new();
        for record in joined.iter().flat_map(|j| j.split(RECORD)) {
            let mut f = record.split(UNIT);
            match (
                f.next(),
                f.next(),
                f.next(),
                f.next().and_then(|v| v.parse().ok()),
                f.next(),
            ) {
                (Some(day), Some(kind), Some(figure), Some(value), None) => {
                    out.push((day.to_owned(), kind.to_owned(), figure.to_owned(), value));
                }
                _ => return Err(StoreError::Data(format!("a fact row that does not split: {record:?}"))),
            }
        }
        Ok(out)
    }

    pub(crate) async fn assignee_changes_of(
        &self,
        ids: &[i64],
    ) -> StoreResult<Vec<(i64, i64, Option<i64>, Option<i64>)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT ticket_id, at, old_value, new_value FROM ticket_activity WHERE ticket_id IN {} AND field = 'assignee_id' \
                    ORDER BY ticket_id, at, id",
                crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, i64, Option<String>, Option<String>)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            let user = |v: Option<String>| v.and_then(|s| s.parse().ok());
            for (t, at, old, new) in q.fetch_all(self.reader()).await.map_err(db_err)? {
                out.push((t, at, user(old), user(new)));
            }
        }
        Ok(out)
    }

    pub(crate) async fn segment_values_of(&self, ids: &[i64]) -> StoreResult<Vec<(i64, String, String)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT t.id, c.region, COALESCE(p.category, '') FROM tickets t JOIN customers c ON c.id = t.customer_id \
                    LEFT JOIN purchases p ON p.id = t.purchase_id WHERE t.id IN {} ORDER BY t.id",
                crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, String, String)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(self.reader()).await.map_err(db_err)?);
        }
        Ok(out)
    }
}
