-- The log of what local actors did that other servers must hear about. A row is written in the same
-- transaction as the change it describes; the outbox turns it into an ActivityStreams document
-- (stored once in payload, so every delivery and every retry sends the same bytes and the same id)
-- and fans it out. The thread's rows also form its contextHistory collection.
CREATE TABLE activities (
    id              bigserial PRIMARY KEY,
    verb            text NOT NULL,
    actor_id        bigint NOT NULL REFERENCES actors,
    thread_id       bigint REFERENCES threads,
    post_id         bigint REFERENCES posts,
    category_id     bigint REFERENCES categories,
    target_actor_id bigint REFERENCES actors,
    follow_id       bigint REFERENCES follows ON DELETE SET NULL,
    -- For activities about things only known by id (an Undo of a remote Follow, a Delete whose
    -- row is gone).
    object_ap_id    text,
    -- Verb-specific details (a Move's source category, a Block's reason, ...).
    details         jsonb NOT NULL DEFAULT '{}',
    payload         bytea,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX activities_thread ON activities (thread_id, id) WHERE thread_id IS NOT NULL;
CREATE INDEX activities_actor ON activities (actor_id, id);
CREATE INDEX activities_post ON activities (post_id) WHERE post_id IS NOT NULL;
