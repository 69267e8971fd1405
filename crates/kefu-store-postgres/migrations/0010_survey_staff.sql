-- Employee ("internal customer", seed 000) surveys: a campaign may ask staff instead of customers,
-- so a link may be for a user; the fatigue rule and opt-outs count per user as per customer.
ALTER TABLE survey_links ADD COLUMN user_id BIGINT REFERENCES users (id);
CREATE INDEX survey_links_user ON survey_links (user_id, created_at);
