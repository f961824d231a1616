-- Unread tracking and watching (forum/read_state.go, forum/watch.go).
--
-- member_threads has one row per member and thread they have read, posted in or chosen a level
-- for. The posts they have seen are kept as positions in an int4multirange: a member who reads a
-- 2,000-post thread page by page stores one range, not 2,000 rows, and marking a page read is one
-- upsert that adds a range. The row also holds their notification level for the thread and when
-- a notification mail about it last went out (at most one until they visit it again). It is keyed
-- by thread first, as Discourse's topic_users is in effect: an edit (which makes the post unread
-- for its readers) and a late remote post (which shifts the positions after it) update every
-- reader of one thread, while the lists look rows up one (thread, member) pair at a time.
CREATE TABLE member_threads (
    thread_id      bigint NOT NULL REFERENCES threads ON DELETE CASCADE,
    member_id      bigint NOT NULL REFERENCES members ON DELETE CASCADE,
    read_positions int4multirange NOT NULL DEFAULT '{}',
    -- NULL is the default: tracking (replies to you and mentions notify), or muted when the member
    -- muted the category. Starting or replying to a thread turns NULL into 'watching'; a level the
    -- member chose stays as chosen.
    level          text CHECK (level IN ('watching', 'tracking', 'muted')),
    mailed_at      timestamptz,
    PRIMARY KEY (thread_id, member_id)
);

CREATE INDEX member_threads_member ON member_threads (member_id);

-- A member's level for a category: watching (every new thread notifies) or muted (its threads
-- notify only for direct mentions). Tracking, the default, has no row.
CREATE TABLE member_categories (
    category_id bigint NOT NULL REFERENCES categories ON DELETE CASCADE,
    member_id   bigint NOT NULL REFERENCES members ON DELETE CASCADE,
    level       text NOT NULL CHECK (level IN ('watching', 'muted')),
    PRIMARY KEY (category_id, member_id)
);

CREATE INDEX member_categories_member ON member_categories (member_id);

-- Unread counts are exact within a window (60 days): posts published before it count as read.
-- Positions follow published order, so the posts inside the window are the positions from the
-- first post published inside it onwards; this index finds that post with one probe per thread
-- (and serves post insertion's search for the place of a late remote post).
CREATE INDEX posts_thread_created ON posts (thread_id, created_at, position);

-- A set with every position at or after p moved one place down: what a late post inserted at p
-- does to the posts its readers have seen.
CREATE FUNCTION stoa_positions_shift(m int4multirange, p integer) RETURNS int4multirange
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (m * int4multirange(int4range(NULL, p))) + coalesce(
        (SELECT range_agg(int4range(lower(r) + 1, upper(r) + 1)) FROM unnest(m * int4multirange(int4range(p, NULL))) r),
        '{}'::int4multirange) $$;
