-- Indexes for a large channel network (issue 3 benchmarks, bench/README.md).
--
-- Value tiers read every live purchase's customer, date and amount (rfm_rows): the amount and
-- deleted_at in the index allow an index-only scan. It serves all the old (customer_id,
-- purchased_on) index served.
CREATE INDEX purchases_customer_rfm ON purchases (customer_id, purchased_on) INCLUDE (amount_minor, deleted_at);
DROP INDEX purchases_customer;
