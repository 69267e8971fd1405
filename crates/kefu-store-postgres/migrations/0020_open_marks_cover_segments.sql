-- The queue now of a segment (docs/statistics.md#queue-now) reads the open tickets' marks from one
-- index: only the open tickets are in it, and beside the marks it carries every column a segment
-- names (channel, touchpoint, department, assignee, and the customer and purchase that region
-- and product category are looked up by), so no segment reads the ticket rows themselves.
DROP INDEX tickets_open_marks;
CREATE INDEX tickets_open_marks ON tickets (status, kind, customer_tier, sla_urgent_at, sla_due_at,
    channel, touchpoint, department_id, assignee_id, customer_id, purchase_id)
    WHERE status IN ('new', 'open', 'pending');
