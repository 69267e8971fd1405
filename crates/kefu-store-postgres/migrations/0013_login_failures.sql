-- Failed sign-ins, counted per account and client address and per address alone (issue 14,
-- item 2): after a few, each further attempt from there must wait a delay that doubles. Nothing
-- is counted per account alone, so nobody elsewhere can keep the owner out. A key forgets its
-- failures an hour after the last one.
CREATE TABLE login_failures (
    key              TEXT PRIMARY KEY,
    failures         BIGINT NOT NULL,
    last_failure_at  BIGINT NOT NULL,
    blocked_until    BIGINT
);
CREATE INDEX login_failures_last ON login_failures (last_failure_at);
