-- The queue now (docs/statistics.md#queue-now): beside the instant a ticket turns urgent, each
-- ticket keeps the earliest due instant of a running SLA target, so the dashboard counts the open
-- tickets by quadrant, breached and due within the hour from an index, without replaying a clock.
-- The open tickets of an existing installation get their marks from the escalation sweep, which
-- recomputes every mark of a ticket it looks at: this migration asks it to look at them now.
ALTER TABLE tickets ADD COLUMN sla_due_at BIGINT;
-- Led by the status, so that the count of the open tickets reads this index alone.
CREATE INDEX tickets_open_marks ON tickets (status, kind, customer_tier, sla_urgent_at, sla_due_at);
UPDATE tickets SET sla_next_check_at = created_at
    WHERE status IN ('new', 'open', 'pending') AND sla_policy_id IS NOT NULL;
