-- Invitations for LIFEOS_REGISTRATION=invite (`lifeos invite create`). Not user data: a
-- row holds the code's SHA-256 (never the code), the address it admits if the operator
-- named one, and its expiry; a registration that uses it deletes it in the transaction
-- that creates the account, so no row ever points at a user.
CREATE TABLE invites (
    code_hash  bytea PRIMARY KEY,
    -- the normalised (lowercase) e-mail it admits; NULL admits any address
    email_key  text,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX invites_expires_idx ON invites (expires_at);
