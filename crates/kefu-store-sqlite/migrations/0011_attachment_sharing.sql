-- A file on a ticket is internal (the staff's) or shared with the customer, chosen when it is
-- attached (issue 14, item 11). Files kept before this that the customer could already see stay
-- shared: those sent by mail or the public follow page, by a customer user, or with a public
-- message. The staff's other files become internal.
ALTER TABLE attachments ADD COLUMN shared INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1));
UPDATE attachments SET shared = 1
 WHERE uploaded_by IS NULL
    OR uploaded_by IN (SELECT id FROM users WHERE role = 'customer')
    OR message_id IN (SELECT id FROM ticket_messages WHERE kind <> 'internal');
