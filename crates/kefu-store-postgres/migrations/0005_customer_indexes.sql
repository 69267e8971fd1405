-- Indexes for a large channel network (issue 3 benchmarks, bench/README.md).
--
-- Value tiers read every live purchase's customer, date and amount (rfm_rows): the amount and
-- deleted_at in the index allow an index-only scan. It serves all the old (customer_id,
-- purchased_on) index served.
CREATE INDEX purchases_customer_rfm ON purchases (customer_id, purchased_on) INCLUDE (amount_minor, deleted_at);
DROP INDEX purchases_customer;

-- Subtree counts (the tree page, /api/v1/customers/{id}/tree) count every customer beneath one:
-- 10,000 under an agent. Joining each path to its customer for the kind and the deleted mark cost
-- 70-200 ms per request; the path rows carry both instead, kept by a trigger when a customer's
-- kind or deleted mark changes (new paths are written with them by the store), and a partial
-- index answers the count.
ALTER TABLE customer_paths
    ADD COLUMN descendant_kind TEXT NOT NULL DEFAULT '',
    ADD COLUMN descendant_live BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE customer_paths p SET descendant_kind = c.kind, descendant_live = c.deleted_at IS NULL
FROM customers c WHERE c.id = p.descendant_id;
CREATE INDEX customer_paths_live_kind ON customer_paths (ancestor_id, descendant_kind, descendant_id) WHERE descendant_live AND depth > 0;
CREATE FUNCTION customer_paths_follow_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE customer_paths SET descendant_kind = NEW.kind, descendant_live = NEW.deleted_at IS NULL
    WHERE descendant_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER customer_paths_follow_customer AFTER UPDATE OF kind, deleted_at ON customers FOR EACH ROW
    WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))
    EXECUTE FUNCTION customer_paths_follow_customer();
