-- A number each kept statistic bumps when a write changes its settled past, so that what was
-- summed from that past can be kept and reused until then (docs/statistics.md#ticket-facts,
-- "Read fast"). `ticket_facts`: bumped by every write whose difference touches a day before
-- yesterday (UTC), and by a reset or rebuild.
CREATE TABLE stats_epochs (
    name   TEXT PRIMARY KEY,
    epoch  BIGINT NOT NULL
);
INSERT INTO stats_epochs (name, epoch) VALUES ('ticket_facts', 0);
