-- Tickets (issue 4): business calendars, SLA policies, the category tree, tickets with their
-- messages (public replies, internal notes, phone calls) and append-only activity log, logged
-- escalation steps, routing rules, and the CJK n-gram search index over tickets.
--
-- The SLA clock is not stored: it is replayed from the messages and status changes on every read
-- (kefu-core::sla). Only two derived instants are kept, for indexes: when the escalation sweep
-- must next look at a ticket, and when the queue should treat it as urgent.

CREATE TABLE calendars (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    toml        TEXT NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX calendars_one_default ON calendars (is_default) WHERE is_default = 1;
INSERT INTO calendars (name, toml, is_default, created_at, updated_at) VALUES ('china-2026', '# Mainland China, 2026: public holidays and make-up working days (调休), from the State Council General
# Office''s notice on the 2026 holiday arrangements (issued 4 November 2025). 2027''s arrangement is published
# by the State Council late in 2026; add it when it is out.
time_zone = "Asia/Shanghai"
holidays = [
  "2026-01-01", "2026-01-02", "2026-01-03",                                   # 元旦
  "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
  "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",                     # 春节
  "2026-04-04", "2026-04-05", "2026-04-06",                                   # 清明节
  "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",       # 劳动节
  "2026-06-19", "2026-06-20", "2026-06-21",                                   # 端午节
  "2026-09-25", "2026-09-26", "2026-09-27",                                   # 中秋节
  "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05",
  "2026-10-06", "2026-10-07",                                                 # 国庆节
]
workdays = [
  "2026-01-04",                 # 元旦调休 (Sun)
  "2026-02-14", "2026-02-28",   # 春节调休 (Sat, Sat)
  "2026-05-09",                 # 劳动节调休 (Sat)
  "2026-09-20", "2026-10-10",   # 国庆节调休 (Sun, Sat)
]
workday_hours = ["09:00-12:00", "13:30-18:00"]

[week]
mon = ["09:00-12:00", "13:30-18:00"]
tue = ["09:00-12:00", "13:30-18:00"]
wed = ["09:00-12:00", "13:30-18:00"]
thu = ["09:00-12:00", "13:30-18:00"]
fri = ["09:00-12:00", "13:30-18:00"]
sat = []
sun = []
', 1, 0, 0);

CREATE TABLE sla_policies (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT NOT NULL UNIQUE,
    kind                    TEXT,
    priority                TEXT CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    tier                    TEXT CHECK (tier IN ('A', 'B', 'C', 'D', 'E', 'none')),
    first_response_minutes  INTEGER,
    next_response_minutes   INTEGER,
    resolution_minutes      INTEGER,
    warn_share              REAL NOT NULL DEFAULT 0.8,
    dimension               TEXT NOT NULL DEFAULT 'responsiveness',
    calendar_id             INTEGER NOT NULL REFERENCES calendars (id),
    escalation              TEXT NOT NULL DEFAULT '{}',
    is_default              INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);
CREATE UNIQUE INDEX sla_policies_one_default ON sla_policies (is_default) WHERE is_default = 1;
CREATE UNIQUE INDEX sla_policies_scope ON sla_policies (COALESCE(kind, ''), COALESCE(priority, ''), COALESCE(tier, '')) WHERE is_default = 0;
INSERT INTO sla_policies (name, first_response_minutes, next_response_minutes, resolution_minutes, calendar_id, escalation, is_default, created_at, updated_at)
    VALUES ('default', 120, 240, 1350, (SELECT id FROM calendars WHERE is_default = 1), '{"raise_priority_on_breach": true}', 1, 0, 0);

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES categories (id),
    name_en     TEXT NOT NULL,
    name_zh     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('complaint', 'request', 'inquiry', 'suggestion', 'praise', 'incident')),
    status              TEXT NOT NULL CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')),
    priority            TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    channel             TEXT NOT NULL CHECK (channel IN ('web_form', 'portal', 'email', 'phone', 'api', 'qr', 'agent')),
    language            TEXT NOT NULL CHECK (language IN ('zh-CN', 'en')),
    subject             TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    customer_id         INTEGER NOT NULL REFERENCES customers (id),
    contact_id          INTEGER REFERENCES contacts (id),
    on_behalf_of_id     INTEGER REFERENCES customers (id),
    department_id       INTEGER NOT NULL REFERENCES departments (id),
    assignee_id         INTEGER REFERENCES users (id),
    created_by          INTEGER REFERENCES users (id),
    category_id         INTEGER REFERENCES categories (id),
    product             TEXT NOT NULL DEFAULT '',
    touchpoint          TEXT NOT NULL DEFAULT '',
    phase               TEXT,
    nature              TEXT,
    place               TEXT,
    fee                 TEXT,
    frequency           TEXT,
    tags                TEXT NOT NULL DEFAULT '[]',
    customer_tier       TEXT NOT NULL DEFAULT 'none',
    sla_policy_id       INTEGER REFERENCES sla_policies (id),
    sla_next_check_at   INTEGER,
    sla_urgent_at       INTEGER,
    root_cause          TEXT,
    remedy              TEXT,
    compensation_minor  INTEGER,
    merged_into         INTEGER REFERENCES tickets (id),
    follow_token_hash   TEXT UNIQUE,
    resolved_at         INTEGER,
    closed_at           INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_department ON tickets (department_id, status, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, status, id);
CREATE INDEX tickets_customer ON tickets (customer_id, id);
CREATE INDEX tickets_sla_check ON tickets (sla_next_check_at) WHERE sla_next_check_at IS NOT NULL;

CREATE TABLE ticket_messages (
    id                 INTEGER PRIMARY KEY,
    ticket_id          INTEGER NOT NULL REFERENCES tickets (id),
    kind               TEXT NOT NULL CHECK (kind IN ('public', 'internal', 'call')),
    author_kind        TEXT NOT NULL CHECK (author_kind IN ('agent', 'customer', 'system')),
    author_user_id     INTEGER REFERENCES users (id),
    author_contact_id  INTEGER REFERENCES contacts (id),
    body               TEXT NOT NULL,
    body_html          TEXT,
    channel            TEXT NOT NULL,
    call_direction     TEXT CHECK (call_direction IN ('inbound', 'outbound')),
    call_seconds       INTEGER,
    message_id         TEXT,
    created_at         INTEGER NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);
CREATE UNIQUE INDEX ticket_messages_message_id ON ticket_messages (message_id) WHERE message_id IS NOT NULL;

-- Every change, append-only: who, when, which field, old -> new.
CREATE TABLE ticket_activity (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    at         INTEGER NOT NULL,
    actor_id   INTEGER REFERENCES users (id),
    actor      TEXT NOT NULL,
    field      TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT
);
CREATE INDEX ticket_activity_ticket ON ticket_activity (ticket_id, id);

-- Escalation steps taken, once each (kefu-core::sla::Escalation::key), across nodes.
CREATE TABLE ticket_escalations (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    step_key   TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, step_key)
);

CREATE TABLE routing_rules (
    id          INTEGER PRIMARY KEY,
    position    INTEGER NOT NULL,
    rule        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Contentless: the terms live only in the index; rowid is the ticket id.
CREATE VIRTUAL TABLE ticket_search USING fts5 (words, bigrams, unigrams, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0');
