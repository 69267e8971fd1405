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
        // One primary-key probe per open ticket, not a scan of every customer or purchase.
        "region" => (
            "EXISTS (SELECT 1 FROM customers c WHERE c.id = tickets.customer_id AND c.region = $3)",
            false,
        ),
        "product_category" => (
            "EXISTS (SELECT 1 FROM purchases p WHERE p.id = tickets.purchase_id AND p.category = $3)",
            false,
        ),
        _ => return None,
    })
}

impl DbStore {
    pub(crate) async fn queue_marks_of(&self, segment: &str, now: i64, soon: i64) -> StoreResult<Vec<MarkRow>> {
        // Every segment's count reads the partial covering index tickets_open_marks (migration 0020),
        // which holds the open tickets only.
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
