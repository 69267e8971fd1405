//! The queue now (docs/statistics.md#queue-now): the open tickets counted by the SLA marks kept
//! on them — when each turns urgent and when its earliest running target falls due — so that
//! the dashboard never replays an open ticket's clock to count it.

use crate::DbStore;
use crate::portable::{Backend, Values};
use kefu_store::{MarkRow, StoreResult};

/// The condition a segment puts on the open tickets, and whether its value is a number.
fn segment_condition(field: &str) -> Option<(&'static str, bool)> {
    Some(match field {
        "tier" => ("customer_tier = $3", false),
        "channel" => ("channel = $3", false),
        "touchpoint" => ("touchpoint = $3", false),
        "department" => ("department_id = $3", true),
        "agent" => ("assignee_id = $3", true),
        "region" => ("customer_id IN (SELECT id FROM customers WHERE region = $3)", false),
        "product_category" => ("purchase_id IN (SELECT id FROM purchases WHERE category = $3)", false),
        _ => return None,
    })
}

impl DbStore {
    pub(crate) async fn queue_marks_of(&self, segment: &str, now: i64, soon: i64) -> StoreResult<Vec<MarkRow>> {
        // The count of every open ticket reads the covering index tickets_open_marks alone.
        let head = "SELECT kind, customer_tier, CAST(COUNT(*) AS BIGINT), \
            CAST(COALESCE(SUM(CASE WHEN sla_urgent_at <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT), \
            CAST(COALESCE(SUM(CASE WHEN sla_due_at <= $1 THEN 1 ELSE 0 END), 0) AS BIGINT), \
            CAST(COALESCE(SUM(CASE WHEN sla_due_at > $1 AND sla_due_at <= $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
            FROM tickets WHERE status IN ('new', 'open', 'pending')";
        // Grouped in the index's order (status first), so nothing is sorted: a kind and tier
        // comes once per open status, and the caller adds them up.
        let tail = "GROUP BY status, kind, customer_tier ORDER BY status, kind, customer_tier";
        let q = |sql: String| {
            sqlx::query_as::<_, MarkRow>(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(soon)
        };
        let Some((field, value)) = segment.split_once(':') else {
            return q(format!("{head} {tail}")).values(self.reader()).await;
        };
        let Some((condition, numeric)) = segment_condition(field) else {
            return Ok(vec![]);
        };
        let sql = format!("{head} AND {condition} {tail}");
        if numeric {
            // A segment naming no number counts no ticket.
            let Ok(id) = value.parse::<i64>() else {
                return Ok(vec![]);
            };
            q(sql).bind(id).values(self.reader()).await
        } else {
            q(sql).bind(value.to_owned()).values(self.reader()).await
        }
    }
}
