-- Every party that can act or be followed, local or remote, in one table: members (person),
-- categories (group), threads (a followable actor of their own), the instance actor, and every
-- remote actor Stoa has seen. One table because posts, likes, follows and blocks point at
-- "someone" whatever their kind, and because local handles must share one namespace (a category
-- slug may not equal a username: Mastodon resolves both the same way through WebFinger).
CREATE TABLE actors (
    id                          bigserial PRIMARY KEY,
    kind                        text NOT NULL
        CHECK (kind IN ('person', 'group', 'thread', 'instance', 'service', 'organization')),
    -- The handle's local part (preferredUsername). Local usernames are stored lower case.
    username                    text NOT NULL,
    -- NULL for local actors; the canonical host (lower case, punycode, no trailing dot, port kept
    -- when not the default) for remote ones.
    domain                      text,
    -- The ActivityPub id of a remote actor. NULL for local actors, whose ids are derived from the
    -- public URL so a development database can be served under another address.
    ap_id                       text UNIQUE,
    display_name                text NOT NULL DEFAULT '',
    summary_html                text NOT NULL DEFAULT '',
    url                         text,
    avatar_url                  text,
    inbox_url                   text,
    shared_inbox_url            text,
    outbox_url                  text,
    followers_url               text,
    following_url               text,
    featured_url                text,
    -- Remote actors' key; local keys live in actor_keys.
    public_key_id               text,
    public_key_pem              text,
    manually_approves_followers boolean NOT NULL DEFAULT false,
    discoverable                boolean NOT NULL DEFAULT true,
    also_known_as               text[] NOT NULL DEFAULT '{}',
    moved_to_ap_id              text,
    -- When the remote document was last fetched from its origin (freshness window).
    fetched_at                  timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    -- Moderation of an actor on this instance, and remote actors that deleted themselves.
    silenced_at                 timestamptz,
    suspended_at                timestamptz,
    deleted_at                  timestamptz
);

CREATE UNIQUE INDEX actors_local_username ON actors (username) WHERE domain IS NULL;
CREATE INDEX actors_remote_handle ON actors (lower(username), domain) WHERE domain IS NOT NULL;
CREATE INDEX actors_public_key_id ON actors (public_key_id) WHERE public_key_id IS NOT NULL;

-- Key pairs of local actors. The private key is sealed (AES-GCM, key derived from the
-- configured secret, which is not in the database), so a database dump alone cannot sign as us.
CREATE TABLE actor_keys (
    actor_id           bigint PRIMARY KEY REFERENCES actors ON DELETE CASCADE,
    public_key_pem     text NOT NULL,
    private_key_sealed bytea NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
