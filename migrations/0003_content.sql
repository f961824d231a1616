-- Categories, threads and posts: the forum itself. Remote categories (Groups on other servers that
-- local members follow) and remote threads and posts share these tables with local ones, so pages,
-- lists, search and the API treat them alike; remote rows carry their ActivityPub id.
CREATE TABLE categories (
    id                         bigserial PRIMARY KEY,
    actor_id                   bigint NOT NULL UNIQUE REFERENCES actors,
    parent_id                  bigint REFERENCES categories,
    -- Equal to the actor's username for local categories; for remote ones, the Group's
    -- preferredUsername (the page shows slug@domain).
    slug                       text NOT NULL,
    domain                     text,
    title                      text NOT NULL,
    description                text NOT NULL DEFAULT '',
    position                   integer NOT NULL DEFAULT 0,
    -- Publish thread openers as Note instead of Article, for communities read mostly from Mastodon.
    note_mode                  boolean NOT NULL DEFAULT false,
    posting_restricted_to_mods boolean NOT NULL DEFAULT false,
    thread_count               integer NOT NULL DEFAULT 0,
    post_count                 bigint NOT NULL DEFAULT 0,
    last_post_at               timestamptz,
    created_at                 timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX categories_local_slug ON categories (slug) WHERE domain IS NULL;
CREATE INDEX categories_order ON categories (parent_id, position, id);

CREATE TABLE threads (
    id             bigserial PRIMARY KEY,
    category_id    bigint NOT NULL REFERENCES categories,
    author_id      bigint NOT NULL REFERENCES actors,
    -- The thread's own followable actor, made the first time someone needs it.
    actor_id       bigint UNIQUE REFERENCES actors,
    title          text NOT NULL,
    -- Remote threads: the id of their context collection (or of the opening post when the origin
    -- publishes no context).
    ap_id          text UNIQUE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_post_at   timestamptz NOT NULL DEFAULT now(),
    last_post_id   bigint,
    -- Number of posts, opener included; equal to the highest position.
    post_count     integer NOT NULL DEFAULT 0,
    locked_at      timestamptz,
    pinned_at      timestamptz,
    hidden_at      timestamptz,
    deleted_at     timestamptz
);

-- Lists are ordered by last activity and paged by keyset on (last_post_at, id).
CREATE INDEX threads_category_activity ON threads (category_id, last_post_at DESC, id DESC)
    WHERE deleted_at IS NULL AND hidden_at IS NULL;
CREATE INDEX threads_activity ON threads (last_post_at DESC, id DESC)
    WHERE deleted_at IS NULL AND hidden_at IS NULL;
CREATE INDEX threads_author ON threads (author_id, created_at DESC);

CREATE TABLE posts (
    id             bigserial PRIMARY KEY,
    thread_id      bigint NOT NULL REFERENCES threads,
    author_id      bigint NOT NULL REFERENCES actors,
    -- 1 for the opener; posts are kept in published order, so a late-arriving older remote post
    -- shifts the positions after it (see forum's post insertion).
    position       integer NOT NULL,
    in_reply_to_id bigint REFERENCES posts,
    ap_id          text UNIQUE,
    url            text,
    -- Markdown for local posts; the received HTML for remote ones (source_kind says which).
    source         text NOT NULL DEFAULT '',
    source_kind    text NOT NULL DEFAULT 'markdown' CHECK (source_kind IN ('markdown', 'html')),
    -- Rendered, sanitised HTML and its keyed MAC: a row whose MAC does not verify is re-rendered
    -- from source instead of being trusted (the key is in the config, not the database).
    html           text NOT NULL DEFAULT '',
    html_mac       bytea NOT NULL DEFAULT '',
    summary        text NOT NULL DEFAULT '',
    sensitive      boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    edited_at      timestamptz,
    hidden_at      timestamptz,
    deleted_at     timestamptz,
    like_count     integer NOT NULL DEFAULT 0,
    CONSTRAINT posts_thread_position UNIQUE (thread_id, position) DEFERRABLE INITIALLY IMMEDIATE
);

CREATE INDEX posts_author ON posts (author_id, created_at DESC);
CREATE INDEX posts_in_reply_to ON posts (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;

ALTER TABLE threads ADD CONSTRAINT threads_last_post FOREIGN KEY (last_post_id) REFERENCES posts;

CREATE TABLE likes (
    post_id    bigint NOT NULL REFERENCES posts ON DELETE CASCADE,
    actor_id   bigint NOT NULL REFERENCES actors ON DELETE CASCADE,
    -- The Like activity's id when it came from another server.
    ap_id      text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, actor_id)
);

CREATE INDEX likes_actor ON likes (actor_id, created_at DESC);
