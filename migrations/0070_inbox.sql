-- What the inbox needs to apply other servers' activities (package inbox, forum/remote_*.go).
--
-- remote_tombstones: ids of remote objects their origin deleted. A Delete may arrive before the
-- Create it deletes (deliveries race, retries reorder them), and a deleted post may be delivered
-- again by a peer's retry or relayed by a third server: a Create of a tombstoned id is ignored.
--
-- post_boosts: Announces of local posts by remote actors (a Mastodon boost), counted like likes
-- and taken back by Undo{Announce}, which names the Announce's id.
--
-- remote_blocks: a remote actor's Block of a local member. Their follows both ways are dropped when
-- it arrives; the row keeps the member's activities from being delivered to the blocker until the
-- Undo{Block}.
--
-- inbound_activities_pending: the activities recorded but not yet applied, for the admin's queue
-- view and the benchmark's "all applied" check, without scanning applied history.
CREATE TABLE remote_tombstones (
    ap_id      text PRIMARY KEY,
    deleted_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE post_boosts (
    post_id    bigint NOT NULL REFERENCES posts ON DELETE CASCADE,
    actor_id   bigint NOT NULL REFERENCES actors ON DELETE CASCADE,
    ap_id      text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, actor_id)
);

CREATE INDEX post_boosts_actor ON post_boosts (actor_id);

ALTER TABLE posts ADD COLUMN boost_count integer NOT NULL DEFAULT 0;

CREATE TABLE remote_blocks (
    -- The remote actor who blocked.
    blocker_id bigint NOT NULL REFERENCES actors ON DELETE CASCADE,
    -- The local member blocked.
    target_id  bigint NOT NULL REFERENCES actors ON DELETE CASCADE,
    ap_id      text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, target_id)
);

CREATE INDEX remote_blocks_target ON remote_blocks (target_id);

CREATE INDEX inbound_activities_pending ON inbound_activities (id) WHERE applied_at IS NULL;
