//! Service commitments: what the organisation promises, and the facts they are measured on.

use crate::DbStore;
use crate::portable::rows::{DbRow, data, get};
use crate::portable::{Backend, Run, Values, db_err};

pub(crate) async fn commitments(store: &DbStore) -> kefu_store::StoreResult<Vec<kefu_store::Commitment>> {
    sqlx::query(
        "SELECT id, title_en, title_zh, metric, kind, within_minutes, target_percent, dimension, published, \
            position, created_at, updated_at FROM commitments ORDER BY position, id",
    )
    .all(store.reader(), commitment)
    .await
}

/// A commitment row.
fn commitment(row: &DbRow) -> kefu_store::StoreResult<kefu_store::Commitment> {
    let metric: String = get(row, "metric")?;
    let kind: Option<String> = get(row, "kind")?;
    Ok(kefu_store::Commitment {
        id: get(row, "id")?,
        title_en: get(row, "title_en")?,
        title_zh: get(row, "title_zh")?,
        metric: kefu_core::commitment::CommitmentMetric::parse(&metric).map_err(data)?,
        kind: kind
            .as_deref()
            .map(kefu_core::ticket::Kind::parse)
            .transpose()
            .map_err(data)?,
        within_minutes: get(row, "within_minutes")?,
        target_percent: get(row, "target_percent")?,
        dimension: get(row, "dimension")?,
        published: get(row, "published")?,
        position: get(row, "position")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(crate) async fn save_commitment(
    store: &DbStore,
    c: &kefu_store::Commitment,
) -> kefu_store::StoreResult<kefu_store::Commitment> {
    // Both statements take the commitment's values in the same order, the update after its id.
    let save = if c.id == 0 {
        sqlx::query_scalar(
            "INSERT INTO commitments (title_en, title_zh, metric, kind, within_minutes, target_percent, published, \
                position, created_at, updated_at, dimension) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) \
                RETURNING id",
        )
    } else {
        sqlx::query_scalar(
            "UPDATE commitments SET title_en = $2, title_zh = $3, metric = $4, kind = $5, within_minutes = $6, \
                target_percent = $7, published = $8, position = $9, updated_at = $10, dimension = $11 WHERE id = $1 \
                RETURNING id",
        )
        .bind(c.id)
    };
    let id: i64 = save
        .bind(&c.title_en)
        .bind(&c.title_zh)
        .bind(c.metric.as_str())
        .bind(c.kind.map(|k| k.as_str()))
        .bind(c.within_minutes)
        .bind(c.target_percent)
        .bind(c.published)
        .bind(c.position)
        .bind(c.updated_at)
        .bind(&c.dimension)
        .fetch_one(store.writer())
        .await
        .map_err(db_err)?;
    commitments(store)
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or(kefu_store::StoreError::NotFound)
}

pub(crate) async fn delete_commitment(store: &DbStore, id: i64) -> kefu_store::StoreResult<()> {
    let r = sqlx::query("DELETE FROM commitments WHERE id = $1")
        .bind(id)
        .run(store.writer())
        .await?;
    if r == 0 {
        Err(kefu_store::StoreError::NotFound)
    } else {
        Ok(())
    }
}

pub(crate) async fn commitment_facts(
    store: &DbStore,
    since: i64,
    kind: Option<kefu_core::ticket::Kind>,
    metric: kefu_core::commitment::CommitmentMetric,
) -> kefu_store::StoreResult<Vec<(i64, Option<i64>, Option<i64>)>> {
    let done = match metric {
        kefu_core::commitment::CommitmentMetric::FirstResponse => {
            "(SELECT MIN(m.created_at) FROM ticket_messages m WHERE m.ticket_id = t.id AND m.author_kind = 'agent' \
                AND m.kind IN ('public', 'call'))"
        }
        kefu_core::commitment::CommitmentMetric::Resolution => {
            "(SELECT MIN(a.at) FROM ticket_activity a WHERE a.ticket_id = t.id AND a.field = 'status' \
                AND a.new_value = 'resolved')"
        }
    };
    let sql = format!(
        "SELECT t.created_at, {done}, t.sla_policy_id FROM tickets t WHERE t.created_at >= $1 AND ($2 IS NULL \
            OR t.kind = $2) AND t.merged_into IS NULL"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(since)
        .bind(kind.map(|k| k.as_str()))
        .values(store.reader())
        .await
}
