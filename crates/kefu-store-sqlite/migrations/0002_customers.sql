-- Customers and the channel network (issue 3): customers, contacts, the channel tree as a closure
-- table (every ancestor-descendant pair with its depth, so "everything under X" is one indexed join),
-- purchases imported from an ERP, and the CJK n-gram search index (FTS5, rowid = customer id).

CREATE TABLE customers (
    id                  INTEGER PRIMARY KEY,
    external_id         TEXT UNIQUE,
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    kind                TEXT NOT NULL CHECK (kind IN ('end', 'intermediate', 'internal')),
    subkind             TEXT CHECK (subkind IN ('agent', 'wholesaler_l1', 'wholesaler_l2', 'retailer', 'other')),
    is_organisation     INTEGER NOT NULL DEFAULT 0 CHECK (is_organisation IN (0, 1)),
    parent_id           INTEGER REFERENCES customers (id),
    region              TEXT NOT NULL DEFAULT '',
    tags                TEXT NOT NULL DEFAULT '[]',
    account_manager_id  INTEGER REFERENCES users (id),
    notes               TEXT NOT NULL DEFAULT '',
    value_tier          TEXT NOT NULL DEFAULT 'none' CHECK (value_tier IN ('A', 'B', 'C', 'D', 'E', 'none')),
    deleted_at          INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX customers_parent ON customers (parent_id);
CREATE INDEX customers_account_manager ON customers (account_manager_id);

CREATE TABLE customer_paths (
    ancestor_id    INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    descendant_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    depth          INTEGER NOT NULL CHECK (depth >= 0),
    PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX customer_paths_descendant ON customer_paths (descendant_id, depth);

CREATE TABLE contacts (
    id                 INTEGER PRIMARY KEY,
    customer_id        INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    phone              TEXT NOT NULL DEFAULT '',
    phone_norm         TEXT NOT NULL DEFAULT '',
    email              TEXT NOT NULL DEFAULT '',
    role               TEXT NOT NULL DEFAULT '',
    language           TEXT CHECK (language IN ('zh-CN', 'en')),
    preferred_channel  TEXT NOT NULL DEFAULT '',
    social_style       TEXT CHECK (social_style IN ('dominant', 'expressive', 'amiable', 'analytical')),
    is_primary         INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id);
CREATE INDEX contacts_phone ON contacts (phone_norm) WHERE phone_norm <> '';
CREATE INDEX contacts_email ON contacts (email) WHERE email <> '';

CREATE TABLE purchases (
    id            INTEGER PRIMARY KEY,
    external_id   TEXT NOT NULL UNIQUE,
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    purchased_on  TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency      TEXT NOT NULL DEFAULT 'CNY',
    sku           TEXT NOT NULL DEFAULT '',
    product_name  TEXT NOT NULL DEFAULT '',
    category      TEXT NOT NULL DEFAULT '',
    serial        TEXT NOT NULL DEFAULT '',
    seller_id     INTEGER REFERENCES customers (id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX purchases_customer ON purchases (customer_id, purchased_on);
CREATE INDEX purchases_seller ON purchases (seller_id);

-- Contentless: the terms live only in the index; rowid is the customer id.
CREATE VIRTUAL TABLE customer_search USING fts5 (words, bigrams, unigrams, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0');
