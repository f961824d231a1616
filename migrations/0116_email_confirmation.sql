-- Confirming a new member's e-mail address (forum/email_confirmation.go). Accounts that exist
-- already, and those an admin makes from the console, count as confirmed: the column defaults to
-- the time the row is made, and only sign-ups through the site (and a changed address) clear it.
ALTER TABLE members ADD COLUMN email_confirmed_at timestamptz DEFAULT now();
UPDATE members SET email_confirmed_at = created_at;

-- Whether members must confirm their address before they post. Off by default: a forum without
-- SMTP settings writes its mail to the log, where a new member cannot read it.
ALTER TABLE site_settings ADD COLUMN confirm_email boolean NOT NULL DEFAULT false;

-- The links mailed to confirm an address. Only a hash of the token is stored, as for password
-- resets; a link confirms the address it was sent to, not whatever the member has set since.
CREATE TABLE email_confirmations (
    token_hash bytea PRIMARY KEY,
    member_id  bigint NOT NULL REFERENCES members (actor_id) ON DELETE CASCADE,
    email      text NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_confirmations_member ON email_confirmations (member_id);
