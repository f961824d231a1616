-- Member profiles: the rendered bio and the avatar.
--
-- The bio's Markdown stays in members.bio_source; its rendered, sanitised HTML is kept in
-- actors.summary_html (the one copy, which federation publishes as the actor's summary), and its
-- keyed MAC here: a bio whose MAC does not verify is re-rendered from source instead of trusted.
ALTER TABLE members ADD COLUMN bio_html_mac bytea NOT NULL DEFAULT '';

-- Uploaded avatars, re-encoded by forum/avatar.go (so never the uploaded bytes) and stored in the
-- database with everything else, so a pg_dump is the whole backup. The name is random, so a URL
-- never reveals or guesses another member's image, and a new upload gets a new URL that caches
-- (ours and other servers') cannot confuse with the old one.
CREATE TABLE avatars (
    name         text PRIMARY KEY,
    member_id    bigint NOT NULL REFERENCES members ON DELETE CASCADE,
    content_type text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
    width        integer NOT NULL,
    height       integer NOT NULL,
    data         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX avatars_member ON avatars (member_id);
