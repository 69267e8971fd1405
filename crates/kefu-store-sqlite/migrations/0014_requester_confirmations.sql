-- A complaint filed through the public form with the e-mail or phone of a known contact is filed
-- unconfirmed (issue 14, item 4): until the link mailed to the address on file is opened, or an
-- agent confirms the match after a call, the follow link shows no staff reply and the ticket
-- stays out of the customer's archive and portal. Only the link token's hash is kept.
CREATE TABLE requester_confirmations (
    ticket_id     INTEGER PRIMARY KEY REFERENCES tickets (id),
    token_hash    TEXT UNIQUE,
    created_at    INTEGER NOT NULL,
    confirmed_at  INTEGER,
    confirmed_by  INTEGER REFERENCES users (id)
);
CREATE INDEX requester_confirmations_open ON requester_confirmations (ticket_id) WHERE confirmed_at IS NULL;
