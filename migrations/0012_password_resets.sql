-- Password-reset tokens sent by e-mail. Only a SHA-256 of the token is stored; a token is valid for
-- one hour and for one use (used_at), and a new request or a successful reset voids the others.
CREATE TABLE password_resets (
    id         bigserial PRIMARY KEY,
    member_id  bigint NOT NULL REFERENCES members ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);

CREATE INDEX password_resets_member ON password_resets (member_id);
CREATE INDEX password_resets_expires ON password_resets (expires_at);
