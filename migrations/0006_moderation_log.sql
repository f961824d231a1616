-- The audit log of every moderation and federation-policy action: who did what to whom, when and
-- why. Admins read it; nothing in it is ever updated or deleted by the application.
CREATE TABLE moderation_log (
    id              bigserial PRIMARY KEY,
    -- NULL when the console (stoa admin ...) or the system itself acted.
    moderator_id    bigint REFERENCES actors,
    action          text NOT NULL,
    target_actor_id bigint REFERENCES actors,
    category_id     bigint REFERENCES categories,
    thread_id       bigint REFERENCES threads,
    post_id         bigint REFERENCES posts,
    domain          text,
    reason          text NOT NULL DEFAULT '',
    details         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX moderation_log_recent ON moderation_log (created_at DESC, id DESC);
