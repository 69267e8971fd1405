-- The five-gap diagnosis (docs/statistics.md#five-gaps). Which SERVQUAL dimension each promise
-- serves: a policy's first and next response serve `dimension`, its resolution
-- `resolution_dimension`; a commitment its `dimension` (NULL: responsiveness for a first reply,
-- reliability for a resolution).
ALTER TABLE sla_policies ADD COLUMN resolution_dimension TEXT NOT NULL DEFAULT 'reliability';
ALTER TABLE commitments ADD COLUMN dimension TEXT;

-- The manager's checklist of seed 003's causes of each gap, kept per survey and period
-- ('all', or 'YYYY-MM-DD..YYYY-MM-DD'): which causes were ticked, and a note on each.
CREATE TABLE gap_diagnoses (
    survey_id   INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    period      TEXT NOT NULL,
    gap         INTEGER NOT NULL CHECK (gap BETWEEN 1 AND 5),
    cause       TEXT NOT NULL,
    checked     INTEGER NOT NULL DEFAULT 0 CHECK (checked IN (0, 1)),
    note        TEXT NOT NULL DEFAULT '',
    updated_by  INTEGER REFERENCES users (id),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (survey_id, period, gap, cause)
);
