-- Indexes for a large channel network (issue 3 benchmarks, bench/README.md).
--
-- Value tiers read every live purchase's customer, date and amount (rfm_rows). With the amount and
-- deleted_at in the index that is one scan of the index instead of a table lookup per purchase
-- (1,000,000 purchases: 14 s -> well under a second). It serves all the old (customer_id,
-- purchased_on) index served.
CREATE INDEX purchases_customer_rfm ON purchases (customer_id, purchased_on, amount_minor, deleted_at);
DROP INDEX purchases_customer;

-- Subtree counts (the tree page, /api/v1/customers/{id}/tree) count every customer beneath one:
-- 10,000 under an agent. Joining each path to its customer for the kind and the deleted mark cost
-- milliseconds per request; the path rows carry both instead, kept by a trigger when a customer's
-- kind or deleted mark changes (new paths are written with them by the store), and a partial
-- index answers the count from the index alone.
ALTER TABLE customer_paths ADD COLUMN descendant_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE customer_paths ADD COLUMN descendant_live BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE customer_paths SET
    descendant_kind = (SELECT c.kind FROM customers c WHERE c.id = customer_paths.descendant_id),
    descendant_live = (SELECT c.deleted_at IS NULL FROM customers c WHERE c.id = customer_paths.descendant_id);
CREATE INDEX customer_paths_live_kind ON customer_paths (ancestor_id, descendant_kind, descendant_id) WHERE descendant_live AND depth > 0;
CREATE TRIGGER customer_paths_follow_customer AFTER UPDATE OF kind, deleted_at ON customers
WHEN OLD.kind IS NOT NEW.kind OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    UPDATE customer_paths SET descendant_kind = NEW.kind, descendant_live = (NEW.deleted_at IS NULL)
    WHERE descendant_id = NEW.id;
END;
