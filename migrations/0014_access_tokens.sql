-- Personal access tokens for the JSON API (Authorization: Bearer ...). Like sessions, only a SHA-256
-- of each token is stored; the token itself is shown once, when it is made.
CREATE TABLE access_tokens (
    id           bigserial PRIMARY KEY,
    member_id    bigint NOT NULL REFERENCES members ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Refreshed at most every few minutes, not per request.
    last_used_at timestamptz
);

CREATE INDEX access_tokens_member ON access_tokens (member_id, id);
