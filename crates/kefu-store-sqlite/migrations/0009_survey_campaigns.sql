-- Survey campaigns (issue 5, SPEC.md C): who is asked (a sample frame over customers), how many (a
-- fixed size, or the size a target margin of error needs, over the expected response rate), drawn
-- at random with a seed kept for replay, never the same customer twice within the fatigue window
-- and never one who opted out; run once, monthly or quarterly, or on every resolved ticket.
-- Campaign links keep their token so that the list of links can be downloaded again for SMS or
-- messaging tools (a token lets one answer one survey, nothing more).

CREATE TABLE survey_campaigns (
    id              INTEGER PRIMARY KEY,
    survey_id       INTEGER NOT NULL REFERENCES surveys (id),
    name            TEXT NOT NULL,
    -- Sample frame {kind, tiers: [], regions: [], tags: []} as JSON; an empty list is "any".
    frame           TEXT NOT NULL DEFAULT '{}',
    sample_size     INTEGER,
    margin          REAL,
    response_rate   REAL NOT NULL DEFAULT 1.0,
    seed            INTEGER NOT NULL,
    fatigue_days    INTEGER NOT NULL DEFAULT 90,
    expires_in_days INTEGER NOT NULL DEFAULT 30,
    recurrence      TEXT NOT NULL DEFAULT 'once' CHECK (recurrence IN ('once', 'monthly', 'quarterly', 'ticket_resolved')),
    invite_by_email INTEGER NOT NULL DEFAULT 1 CHECK (invite_by_email IN (0, 1)),
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    runs            INTEGER NOT NULL DEFAULT 0,
    last_run_at     INTEGER,
    created_by      INTEGER REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX survey_campaigns_survey ON survey_campaigns (survey_id, id);

ALTER TABLE survey_links ADD COLUMN campaign_id INTEGER REFERENCES survey_campaigns (id);
ALTER TABLE survey_links ADD COLUMN run INTEGER;
ALTER TABLE survey_links ADD COLUMN token TEXT;
CREATE INDEX survey_links_campaign ON survey_links (campaign_id, run, id);
CREATE INDEX survey_links_ticket ON survey_links (ticket_id);
CREATE INDEX survey_links_opted_out ON survey_links (customer_id) WHERE opted_out_at IS NOT NULL;
