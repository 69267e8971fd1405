-- Mail kefu sent (or meant to send) to a customer or a member of staff, one row per attempt that
-- finished: sent, failed for good, or skipped (no address). A reply to one threads by its Message-ID.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER REFERENCES tickets (id),
    event       TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    language    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    message_id  TEXT UNIQUE,
    status      TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'skipped')),
    detail      TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX notifications_ticket ON notifications (ticket_id, id);

-- Files on tickets: from e-mail, the portal, the public follow page, agents and the API. The bytes are
-- in `data` (base64, so that backups stay JSON) or, with `attachments_dir` set, in that directory under
-- their SHA-256 (`data` NULL).
CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets (id),
    message_id    INTEGER REFERENCES ticket_messages (id),
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    content_id    TEXT,
    inline        INTEGER NOT NULL DEFAULT 0 CHECK (inline IN (0, 1)),
    data          TEXT,
    uploaded_by   INTEGER REFERENCES users (id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (ticket_id, id);

-- An incident's recovery log (seed 002): every step taken, in order; shareable with the customer.
CREATE TABLE incident_steps (
    id              INTEGER PRIMARY KEY,
    ticket_id       INTEGER NOT NULL REFERENCES tickets (id),
    at              INTEGER NOT NULL,
    body            TEXT NOT NULL,
    author_user_id  INTEGER REFERENCES users (id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX incident_steps_ticket ON incident_steps (ticket_id, at, id);

-- Public links to an incident's recovery log (the token is stored hashed).
CREATE TABLE incident_shares (
    token_hash  TEXT PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- Public service commitments (服务承诺): a promise bound to an SLA metric and a target share.
CREATE TABLE commitments (
    id              INTEGER PRIMARY KEY,
    title_en        TEXT NOT NULL,
    title_zh        TEXT NOT NULL,
    metric          TEXT NOT NULL CHECK (metric IN ('first_response', 'resolution')),
    kind            TEXT CHECK (kind IS NULL OR kind IN ('complaint', 'request', 'inquiry', 'suggestion', 'praise', 'incident')),
    within_minutes  INTEGER NOT NULL,
    target_percent  INTEGER NOT NULL,
    published       INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    position        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX tickets_created ON tickets (created_at);

-- Macros / canned replies in both languages, with optional actions (status, tags) applied with them.
CREATE TABLE macros (
    id          INTEGER PRIMARY KEY,
    title_en    TEXT NOT NULL,
    title_zh    TEXT NOT NULL,
    body_en     TEXT NOT NULL,
    body_zh     TEXT NOT NULL,
    actions     TEXT NOT NULL DEFAULT '{}',
    created_by  INTEGER REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Saved views of the ticket queue: a name and the queue's query string, per user or shared.
CREATE TABLE saved_views (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER REFERENCES users (id),
    name        TEXT NOT NULL,
    query       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX saved_views_user ON saved_views (user_id, id);
