-- Customers, second part (issue 3): soft delete for contacts and purchases, merged customers (the
-- record merged away points at the one that kept its data), portal accounts (a customer-role user
-- linked to one contact of a customer record) and the invitations that let them set a password.

ALTER TABLE contacts ADD COLUMN deleted_at INTEGER;
ALTER TABLE purchases ADD COLUMN deleted_at INTEGER;
ALTER TABLE customers ADD COLUMN merged_into INTEGER REFERENCES customers (id);

CREATE TABLE portal_accounts (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    contact_id  INTEGER NOT NULL UNIQUE REFERENCES contacts (id),
    created_at  INTEGER NOT NULL
);

CREATE TABLE invitations (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX invitations_user ON invitations (user_id);
