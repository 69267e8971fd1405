-- Survey slugs and imported answers (issue 5): a survey gets a short name the CLI and the API use
-- (`kefu survey report <slug>`), and a response either comes through a tokenised link or is
-- imported from a file, where it is known by the file's `respondent` (unique within a survey).

ALTER TABLE surveys ADD COLUMN slug TEXT;
UPDATE surveys SET slug = 'survey-' || id;
CREATE UNIQUE INDEX surveys_slug ON surveys (slug);

ALTER TABLE survey_responses ALTER COLUMN link_id DROP NOT NULL;
ALTER TABLE survey_responses ADD COLUMN respondent TEXT;
ALTER TABLE survey_responses ADD CONSTRAINT survey_responses_source CHECK ((link_id IS NULL) <> (respondent IS NULL));
CREATE UNIQUE INDEX survey_responses_respondent ON survey_responses (survey_id, respondent);
