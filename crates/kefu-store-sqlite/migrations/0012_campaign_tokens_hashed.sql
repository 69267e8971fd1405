-- Campaign survey tokens are kept hashed like every other token (issue 14, item 9): the plain
-- tokens kept for the link list are dropped (each link's token_hash was always kept beside them,
-- so every link already sent still opens). A run hands out its link list once; a later download
-- issues new tokens, and the old ones stop working.
UPDATE survey_links SET token = NULL WHERE token IS NOT NULL;
