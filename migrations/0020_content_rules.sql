-- What the forum's content rules need beyond 0003: per-category permissions by role, the history
-- of post edits, an index for a category's pinned threads, and notifications that let every
-- process drop its cached permissions when categories or their permissions change.

-- One row per category and role; a missing row means the defaults (everyone sees, members start
-- threads and reply). Admins may always do everything, so they have no row. Guests can neither
-- start nor reply (they have no account to post as), which the CHECK keeps true.
CREATE TABLE category_permissions (
    category_id bigint NOT NULL REFERENCES categories ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('guest', 'member', 'moderator')),
    may_see     boolean NOT NULL,
    may_start   boolean NOT NULL,
    may_reply   boolean NOT NULL,
    PRIMARY KEY (category_id, role),
    CHECK (role <> 'guest' OR NOT (may_start OR may_reply))
);

-- Every edit keeps what the post said before it, and who changed it (the author, or staff).
CREATE TABLE post_edits (
    id                   bigserial PRIMARY KEY,
    post_id              bigint NOT NULL REFERENCES posts ON DELETE CASCADE,
    editor_id            bigint NOT NULL REFERENCES actors,
    previous_source      text NOT NULL,
    previous_source_kind text NOT NULL CHECK (previous_source_kind IN ('markdown', 'html')),
    -- The thread's title before the edit, when an edit of the opening post changed it.
    previous_title       text,
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX post_edits_post ON post_edits (post_id, id DESC);

-- A category page lists its pinned threads first; without this index finding them scans every
-- thread of the category.
CREATE INDEX threads_category_pinned ON threads (category_id, pinned_at DESC)
    WHERE pinned_at IS NOT NULL AND deleted_at IS NULL AND hidden_at IS NULL;

-- Processes cache the compiled permissions in memory. Any change to what they are compiled from,
-- by whichever code or process makes it, notifies the channel; NOTIFY is delivered at commit and
-- coalesced within a transaction, so a batch of changes costs one message.
CREATE FUNCTION stoa_notify_categories_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stoa_categories_changed', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER categories_changed
    AFTER INSERT OR DELETE OR UPDATE OF parent_id, posting_restricted_to_mods, domain ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_categories_changed();

CREATE TRIGGER category_permissions_changed
    AFTER INSERT OR UPDATE OR DELETE ON category_permissions
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_categories_changed();
