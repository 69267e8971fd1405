-- Indexes for a large channel network (issue 3 benchmarks, bench/README.md).
--
-- Value tiers read every live purchase's customer, date and amount (rfm_rows). With the amount and
-- deleted_at in the index that is one scan of the index instead of a table lookup per purchase
-- (1,000,000 purchases: 14 s -> well under a second). It serves all the old (customer_id,
-- purchased_on) index served.
CREATE INDEX purchases_customer_rfm ON purchases (customer_id, purchased_on, amount_minor, deleted_at);
DROP INDEX purchases_customer;
