-- Customers, second part (issue 3): soft delete for contacts and purchases, merged customers (the
-- record merged away points at the one that kept its data), portal accounts (a customer-role user
-- linked to one contact of a customer record) and the invitations that let them set a password.

ALTER TABLE contacts ADD COLUMN deleted_at BIGINT;
ALTER TABLE purchases ADD COLUMN deleted_at BIGINT;
ALTER TABLE customers ADD COLUMN merged_into BIGINT REFERENCES customers (id) DEFERRABLE INITIALLY IMMEDIATE;

CREATE TABLE portal_accounts (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    contact_id  BIGINT NOT NULL UNIQUE REFERENCES contacts (id),
    created_at  BIGINT NOT NULL
);

CREATE TABLE invitations (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX invitations_user ON invitations (user_id);
