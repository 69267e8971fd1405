-- The product a ticket is about is a real reference (issue 14, item 13): the customer's purchase,
-- with its product, category and serial. `product` stays as the product's name, copied from the
-- purchase. Routing rules matched product ids that no ticket ever carried; they now match the
-- purchase's product category. A saved rule with a product condition is logged in the audit log
-- (the rule as it was), loses the condition and is switched off: without it the rule would match
-- every ticket.
ALTER TABLE tickets ADD COLUMN purchase_id INTEGER REFERENCES purchases (id);
CREATE INDEX tickets_purchase ON tickets (purchase_id) WHERE purchase_id IS NOT NULL;
INSERT INTO audit_log (at, actor_id, actor, action, target, detail) SELECT CAST(strftime('%s','now') AS INTEGER) * 1000, NULL, 'migration 0015', 'routing_rule.product_condition_dropped', 'routing_rule:' || id, json_object('rule', json(rule)) FROM routing_rules WHERE json_extract(rule, '$.conditions.product') IS NOT NULL;
UPDATE routing_rules SET rule = json_remove(rule, '$.conditions.product'), active = 0 WHERE json_extract(rule, '$.conditions.product') IS NOT NULL;
