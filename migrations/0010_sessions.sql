-- Signed-in browsers. A session cookie carries a random token; only its SHA-256 is stored here, so
-- a database dump or a leaked backup cannot be replayed as a cookie. Sessions expire after a month
-- without use and a year after sign-in at the latest; the list on the settings page comes from here.
CREATE TABLE sessions (
    id           bigserial PRIMARY KEY,
    member_id    bigint NOT NULL REFERENCES members ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Refreshed at most every few minutes, not per request (see forum/session.go).
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    -- Shown to the member so they can recognise their devices.
    user_agent   text NOT NULL DEFAULT '',
    ip           inet
);

CREATE INDEX sessions_member ON sessions (member_id, last_used_at DESC);
CREATE INDEX sessions_expires ON sessions (expires_at);
