-- Ticket facts (docs/statistics.md#ticket-facts): the dashboard's kept figures. A row per day
-- (grain 'day', period YYYY-MM-DD) and its month's rollup (grain 'month', period YYYY-MM), per
-- ticket kind and one segment at a time ('all', 'tier:A', 'agent:12', …), per figure ('created',
-- 'sla:3:resolution:met', 'frt:104', …). Each ticket keeps the contribution it last added
-- (tickets.facts, JSON); a change adds the difference in its own transaction, so the rows are
-- the sum of the contributions. Tickets whose facts are NULL are not folded in yet: kefu folds
-- them when it starts (this migration's existing tickets) and after `kefu stats rebuild`.
CREATE TABLE ticket_facts (
    segment  TEXT NOT NULL,
    grain    TEXT NOT NULL CHECK (grain IN ('day', 'month')),
    period   TEXT NOT NULL,
    kind     TEXT NOT NULL,
    figure   TEXT NOT NULL,
    value    BIGINT NOT NULL,
    PRIMARY KEY (segment, grain, period, kind, figure)
);
ALTER TABLE tickets ADD COLUMN facts TEXT;
CREATE INDEX tickets_unfolded ON tickets (id) WHERE facts IS NULL;
