-- Survey slugs and imported answers (issue 5): a survey gets a short name the CLI and the API use
-- (`kefu survey report <slug>`), and a response either comes through a tokenised link or is
-- imported from a file, where it is known by the file's `respondent` (unique within a survey).
-- SQLite cannot drop NOT NULL from a column, so survey_responses is rebuilt.

ALTER TABLE surveys ADD COLUMN slug TEXT;
UPDATE surveys SET slug = 'survey-' || id;
CREATE UNIQUE INDEX surveys_slug ON surveys (slug);

CREATE TABLE survey_responses_new (
    id              INTEGER PRIMARY KEY,
    survey_id       INTEGER NOT NULL REFERENCES surveys (id),
    link_id         INTEGER UNIQUE REFERENCES survey_links (id),
    respondent      TEXT,
    answers         TEXT NOT NULL,
    comment         TEXT NOT NULL DEFAULT '',
    partial         INTEGER NOT NULL DEFAULT 1 CHECK (partial IN (0, 1)),
    segment         TEXT NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CHECK ((link_id IS NULL) <> (respondent IS NULL))
);
INSERT INTO survey_responses_new (id, survey_id, link_id, respondent, answers, comment, partial, segment, created_at, updated_at)
    SELECT id, survey_id, link_id, NULL, answers, comment, partial, segment, created_at, updated_at FROM survey_responses;
DROP TABLE survey_responses;
ALTER TABLE survey_responses_new RENAME TO survey_responses;
CREATE INDEX survey_responses_survey ON survey_responses (survey_id, partial, id);
CREATE UNIQUE INDEX survey_responses_respondent ON survey_responses (survey_id, respondent);
