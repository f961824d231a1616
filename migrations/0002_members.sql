-- Local accounts: the credentials and settings of an actor of kind 'person' that lives here.
-- Remote people are only rows in actors.
CREATE TABLE members (
    actor_id      bigint PRIMARY KEY REFERENCES actors ON DELETE CASCADE,
    email         text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'moderator', 'member')),
    bio_source    text NOT NULL DEFAULT '',
    -- Profile links as [{"name": ..., "value": ...}], published as PropertyValue attachments.
    links         jsonb NOT NULL DEFAULT '[]',
    -- 'infinity' for a permanent ban.
    banned_until  timestamptz,
    ban_reason    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz
);

CREATE UNIQUE INDEX members_email ON members (lower(email));
