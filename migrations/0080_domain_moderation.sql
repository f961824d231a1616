-- Domain moderation: domain blocks and allows, subscribed blocklists, the allowlist mode, and what
-- makes a block (or the suspension of one remote account) bite at once and come undone on a lift
-- (forum/domain_block*.go, forum/blocklist*.go, forum/remote_account_moderation.go).
--
-- Rules. domain_blocks are the admin's own (web, CLI, CSV import); blocklist_entries are what each
-- subscribed list said when last fetched. The rule for a host is the strictest of the rules for it
-- and its parent domains: local blocks always count; a subscribed entry counts unless a local
-- block names the same domain (the admin decided) or a local allow covers the host (an explicit
-- allow overrides subscriptions); among lists naming the same domain the highest priority wins.
-- In allowlist mode every host no allow covers is suspended. stoa_domain_limit evaluates this in
-- SQL; forum's in-process policy cache evaluates the same rules in Go (a test holds them equal).
--
-- Hiding without deleting. A block does not delete anything: it marks. actors.domain_limit is the
-- limit the domain rules put on an actor (0 none, 1 silence, 2 suspend), set for new actors by a
-- trigger and rewritten in bulk when rules change; actors.suppression is the stronger of that and
-- the account's own silence, suspension or removal of posts. posts.suppressed and
-- threads.suppressed copy it (a thread takes the stronger of its author's and its category's),
-- so list queries filter on a column of the row they already read, and the thread indexes the
-- lists walk leave suppressed threads out: lists stay limit-first and a flood of threads from a
-- blocked server costs them nothing. One statement trigger on actors carries every change through
-- posts, threads, like counts and category activity, and severs or restores follows, whichever
-- code path changed the actor; lifting a block runs the same trigger the other way.
--
-- Severed follows are moved to severed_follows rather than deleted, and moved back when neither
-- side is cut off any more: the peer was never told (it could not be: it is blocked), so both
-- sides agree again the moment the block is lifted.

CREATE TABLE domain_blocks (
    -- Canonical host name (no port): a block covers every port and every subdomain.
    domain          text PRIMARY KEY,
    severity        text NOT NULL CHECK (severity IN ('suspend', 'silence', 'noop')),
    reject_media    boolean NOT NULL DEFAULT false,
    reject_reports  boolean NOT NULL DEFAULT false,
    public_comment  text NOT NULL DEFAULT '',
    private_comment text NOT NULL DEFAULT '',
    -- Show the domain partly starred on the public list (Mastodon's obfuscation).
    obfuscate       boolean NOT NULL DEFAULT false,
    created_by      bigint REFERENCES actors ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE domain_allows (
    domain     text PRIMARY KEY,
    comment    text NOT NULL DEFAULT '',
    created_by bigint REFERENCES actors ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blocklist_subscriptions (
    id            bigserial PRIMARY KEY,
    url           text NOT NULL UNIQUE,
    -- Higher wins when lists disagree about a domain (GoToSocial's rule), 0-255.
    priority      smallint NOT NULL DEFAULT 100 CHECK (priority BETWEEN 0 AND 255),
    created_by    bigint REFERENCES actors ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- The last fetch that succeeded (content applied, or 304 Not Modified), and the last try.
    fetched_at    timestamptz,
    attempted_at  timestamptz,
    etag          text NOT NULL DEFAULT '',
    last_modified text NOT NULL DEFAULT '',
    last_error    text NOT NULL DEFAULT '',
    entry_count   integer NOT NULL DEFAULT 0
);

CREATE TABLE blocklist_entries (
    subscription_id bigint NOT NULL REFERENCES blocklist_subscriptions ON DELETE CASCADE,
    domain          text NOT NULL,
    severity        text NOT NULL CHECK (severity IN ('suspend', 'silence', 'noop')),
    reject_media    boolean NOT NULL DEFAULT false,
    reject_reports  boolean NOT NULL DEFAULT false,
    public_comment  text NOT NULL DEFAULT '',
    obfuscate       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (subscription_id, domain)
);

CREATE INDEX blocklist_entries_domain ON blocklist_entries (domain);

ALTER TABLE site_settings ADD COLUMN federation_mode text NOT NULL DEFAULT 'blocklist'
    CHECK (federation_mode IN ('blocklist', 'allowlist'));

-- A stored domain (host[:port], canonical) without its port.
CREATE FUNCTION stoa_host_name(domain text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN left(domain, 1) = '[' THEN split_part(domain, ']', 1) || ']'
                      ELSE split_part(domain, ':', 1) END $$;

-- The names whose rules apply to a domain: its host name and every parent ("a.b.example" gives
-- a.b.example, b.example, example). An IP address matches only itself.
CREATE FUNCTION stoa_domain_suffixes(domain text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN left(h, 1) = '[' OR h ~ '^[0-9.]+$' THEN ARRAY[h]
                      ELSE ARRAY(SELECT array_to_string(l[i:], '.') FROM generate_subscripts(l, 1) i ORDER BY i) END
          FROM (SELECT stoa_host_name(domain) AS h, string_to_array(stoa_host_name(domain), '.') AS l) x $$;

-- A domain's key for finding every actor under a domain with one index range: the host name with
-- a leading dot, reversed, so "a.example.org" and "example.org" both start with the key of
-- "example.org" and "badexample.org" does not.
CREATE FUNCTION stoa_domain_key(domain text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT reverse('.' || stoa_host_name(domain)) $$;

CREATE FUNCTION stoa_severity_level(severity text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (CASE severity WHEN 'suspend' THEN 2 WHEN 'silence' THEN 1 ELSE 0 END)::smallint $$;

-- The limit the domain rules put on a domain: 0 none, 1 silence, 2 suspend (see the top comment).
CREATE FUNCTION stoa_domain_limit(domain text) RETURNS smallint
    LANGUAGE sql STABLE
    AS $$
    WITH names AS (SELECT stoa_domain_suffixes(domain) AS n),
    allowed AS (SELECT EXISTS (SELECT 1 FROM domain_allows a, names WHERE a.domain = ANY(names.n)) AS yes),
    local_rule AS (SELECT max(stoa_severity_level(b.severity)) AS lvl FROM domain_blocks b, names WHERE b.domain = ANY(names.n)),
    listed AS (
        SELECT DISTINCT ON (e.domain) stoa_severity_level(e.severity) AS lvl
        FROM blocklist_entries e JOIN blocklist_subscriptions s ON s.id = e.subscription_id, names
        WHERE e.domain = ANY(names.n) AND NOT EXISTS (SELECT 1 FROM domain_blocks b WHERE b.domain = e.domain)
        ORDER BY e.domain, s.priority DESC, s.id)
    SELECT (CASE
        WHEN (SELECT federation_mode FROM site_settings) = 'allowlist' AND NOT (SELECT yes FROM allowed) THEN 2
        ELSE greatest(coalesce((SELECT lvl FROM local_rule), 0),
                      CASE WHEN (SELECT yes FROM allowed) THEN 0 ELSE coalesce((SELECT max(lvl) FROM listed), 0) END)
        END)::smallint $$;

ALTER TABLE actors
    ADD COLUMN domain_limit smallint NOT NULL DEFAULT 0 CHECK (domain_limit BETWEEN 0 AND 2),
    -- "Remove its posts from local threads": hidden, the account otherwise left alone.
    ADD COLUMN posts_removed_at timestamptz,
    ADD COLUMN suppression smallint GENERATED ALWAYS AS (greatest(domain_limit,
        CASE WHEN suspended_at IS NOT NULL OR posts_removed_at IS NOT NULL THEN 2
             WHEN silenced_at IS NOT NULL THEN 1 ELSE 0 END)::smallint) STORED;

CREATE INDEX actors_domain_key ON actors ((stoa_domain_key(domain)) COLLATE "C") WHERE domain IS NOT NULL;
-- The moderation pages list limited remote accounts.
CREATE INDEX actors_suppressed ON actors (id) WHERE suppression > 0;

ALTER TABLE posts ADD COLUMN suppressed smallint NOT NULL DEFAULT 0;
ALTER TABLE threads ADD COLUMN suppressed smallint NOT NULL DEFAULT 0;

-- The lists' indexes, now without suppressed threads (queries say "suppressed = 0" to use them).
DROP INDEX threads_category_activity;
CREATE INDEX threads_category_activity ON threads (category_id, last_post_at DESC, id DESC)
    WHERE deleted_at IS NULL AND hidden_at IS NULL AND suppressed = 0;
DROP INDEX threads_activity;
CREATE INDEX threads_activity ON threads (last_post_at DESC, id DESC)
    WHERE deleted_at IS NULL AND hidden_at IS NULL AND suppressed = 0;
DROP INDEX threads_category_pinned;
CREATE INDEX threads_category_pinned ON threads (category_id, pinned_at DESC)
    WHERE pinned_at IS NOT NULL AND deleted_at IS NULL AND hidden_at IS NULL AND suppressed = 0;
DROP INDEX threads_featured;
CREATE INDEX threads_featured ON threads (category_id, pinned_at DESC, id DESC)
    WHERE pinned_at IS NOT NULL AND deleted_at IS NULL AND hidden_at IS NULL AND suppressed = 0;
-- A remote category's threads, found when its Group is limited or freed.
CREATE INDEX threads_category ON threads (category_id);

CREATE TABLE severed_follows (
    -- The follow's own id and columns, so a restored follow is the row it was.
    id                 bigint PRIMARY KEY,
    follower_id        bigint NOT NULL REFERENCES actors ON DELETE CASCADE,
    target_id          bigint NOT NULL REFERENCES actors ON DELETE CASCADE,
    state              text NOT NULL,
    ap_id              text,
    created_at         timestamptz NOT NULL,
    accepted_at        timestamptz,
    follow_activity_id bigint REFERENCES activities ON DELETE SET NULL,
    severed_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX severed_follows_follower ON severed_follows (follower_id);
CREATE INDEX severed_follows_target ON severed_follows (target_id);

-- New remote actors are born under the rules of their domain.
CREATE FUNCTION stoa_actors_domain_limit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.domain_limit := CASE WHEN NEW.domain IS NULL THEN 0 ELSE stoa_domain_limit(NEW.domain) END;
    RETURN NEW;
END
$$;

CREATE TRIGGER actors_domain_limit
    BEFORE INSERT OR UPDATE OF domain ON actors
    FOR EACH ROW EXECUTE FUNCTION stoa_actors_domain_limit();

-- New posts and threads (and moved or reattributed ones) take their author's (and category's) state.
CREATE FUNCTION stoa_posts_suppressed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.suppressed := coalesce((SELECT suppression FROM actors WHERE id = NEW.author_id), 0);
    RETURN NEW;
END
$$;

CREATE TRIGGER posts_suppressed
    BEFORE INSERT OR UPDATE OF author_id ON posts
    FOR EACH ROW EXECUTE FUNCTION stoa_posts_suppressed();

CREATE FUNCTION stoa_threads_suppressed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.suppressed := greatest(
        coalesce((SELECT suppression FROM actors WHERE id = NEW.author_id), 0),
        coalesce((SELECT a.suppression FROM categories c JOIN actors a ON a.id = c.actor_id WHERE c.id = NEW.category_id), 0));
    RETURN NEW;
END
$$;

CREATE TRIGGER threads_suppressed
    BEFORE INSERT OR UPDATE OF author_id, category_id ON threads
    FOR EACH ROW EXECUTE FUNCTION stoa_threads_suppressed();

-- Every change to an actor's suppression, and to whether it is cut off (suspended, by its domain
-- or on its own), carried through in bulk, once per statement.
CREATE FUNCTION stoa_actors_moderation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed bigint[];
    cut     bigint[];
    uncut   bigint[];
    cats    bigint[];
BEGIN
    SELECT coalesce(array_agg(n.id) FILTER (WHERE n.suppression <> o.suppression), '{}'),
           coalesce(array_agg(n.id) FILTER (WHERE (n.domain_limit = 2 OR n.suspended_at IS NOT NULL)
                                             AND NOT (o.domain_limit = 2 OR o.suspended_at IS NOT NULL)), '{}'),
           coalesce(array_agg(n.id) FILTER (WHERE NOT (n.domain_limit = 2 OR n.suspended_at IS NOT NULL)
                                             AND (o.domain_limit = 2 OR o.suspended_at IS NOT NULL)), '{}')
    INTO changed, cut, uncut
    FROM new_actors n JOIN old_actors o ON o.id = n.id;

    IF cardinality(changed) > 0 THEN
        UPDATE posts p SET suppressed = a.suppression
        FROM actors a WHERE a.id = ANY(changed) AND p.author_id = a.id AND p.suppressed <> a.suppression;

        WITH target AS (
            SELECT t.id, greatest(au.suppression, ca.suppression) AS lvl
            FROM threads t
            JOIN actors au ON au.id = t.author_id
            JOIN categories c ON c.id = t.category_id
            JOIN actors ca ON ca.id = c.actor_id
            WHERE t.author_id = ANY(changed)
               OR t.category_id IN (SELECT id FROM categories WHERE actor_id = ANY(changed))),
        moved AS (
            UPDATE threads t SET suppressed = target.lvl FROM target
            WHERE t.id = target.id AND t.suppressed <> target.lvl
            RETURNING t.category_id)
        SELECT coalesce(array_agg(DISTINCT category_id), '{}') INTO cats FROM moved;

        -- A category's last activity is that of the threads it lists.
        UPDATE categories c SET last_post_at = (SELECT t.last_post_at FROM threads t
                WHERE t.category_id = c.id AND t.deleted_at IS NULL AND t.hidden_at IS NULL AND t.suppressed = 0
                ORDER BY t.last_post_at DESC, t.id DESC LIMIT 1)
        WHERE c.id = ANY(cats);

        -- Likes by suppressed actors are not counted (counted afresh, which also heals any drift).
        UPDATE posts p SET like_count = (SELECT count(*) FROM likes l JOIN actors a ON a.id = l.actor_id
                                         WHERE l.post_id = p.id AND a.suppression = 0)
        WHERE p.id IN (SELECT l.post_id FROM likes l WHERE l.actor_id = ANY(changed));
    END IF;

    IF cardinality(cut) > 0 THEN
        WITH gone AS (
            DELETE FROM follows WHERE follower_id = ANY(cut) OR target_id = ANY(cut)
            RETURNING id, follower_id, target_id, state, ap_id, created_at, accepted_at, follow_activity_id)
        INSERT INTO severed_follows (id, follower_id, target_id, state, ap_id, created_at, accepted_at, follow_activity_id)
        SELECT id, follower_id, target_id, state, ap_id, created_at, accepted_at, follow_activity_id FROM gone
        ON CONFLICT (id) DO NOTHING;
    END IF;

    IF cardinality(uncut) > 0 THEN
        WITH back AS (
            DELETE FROM severed_follows s
            WHERE (s.follower_id = ANY(uncut) OR s.target_id = ANY(uncut))
              AND NOT EXISTS (SELECT 1 FROM actors a WHERE a.id IN (s.follower_id, s.target_id)
                              AND (a.domain_limit = 2 OR a.suspended_at IS NOT NULL OR a.deleted_at IS NOT NULL))
            RETURNING id, follower_id, target_id, state, ap_id, created_at, accepted_at, follow_activity_id)
        -- A follow made again since (after the lift, before this) stays as it is.
        INSERT INTO follows (id, follower_id, target_id, state, ap_id, created_at, accepted_at, follow_activity_id)
        SELECT id, follower_id, target_id, state, ap_id, created_at, accepted_at, follow_activity_id FROM back
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER actors_moderation_changed
    AFTER UPDATE ON actors
    REFERENCING OLD TABLE AS old_actors NEW TABLE AS new_actors
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_actors_moderation_changed();

-- Every process caches the domain rules (forum/domain_policy_cache.go); any change to what they
-- are computed from notifies, at commit, once per transaction.
CREATE FUNCTION stoa_notify_domain_policy_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stoa_domain_policy_changed', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER domain_blocks_changed AFTER INSERT OR UPDATE OR DELETE ON domain_blocks
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_domain_policy_changed();
CREATE TRIGGER domain_allows_changed AFTER INSERT OR UPDATE OR DELETE ON domain_allows
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_domain_policy_changed();
CREATE TRIGGER blocklist_entries_changed AFTER INSERT OR UPDATE OR DELETE ON blocklist_entries
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_domain_policy_changed();
CREATE TRIGGER blocklist_subscriptions_changed AFTER INSERT OR DELETE OR UPDATE OF priority, url ON blocklist_subscriptions
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_domain_policy_changed();
CREATE TRIGGER site_settings_federation_mode_changed AFTER UPDATE OF federation_mode ON site_settings
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_domain_policy_changed();
