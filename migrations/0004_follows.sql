-- Who follows whom, between any two actors: remote people following local categories, members or
-- threads, and local members following remote categories or people. A follow is 'pending' until
-- the target accepts it.
CREATE TABLE follows (
    id          bigserial PRIMARY KEY,
    follower_id bigint NOT NULL REFERENCES actors ON DELETE CASCADE,
    target_id   bigint NOT NULL REFERENCES actors ON DELETE CASCADE,
    state       text NOT NULL CHECK (state IN ('pending', 'accepted')),
    -- The Follow activity's id (the remote one, or the one Stoa sent).
    ap_id       text UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    accepted_at timestamptz,
    UNIQUE (follower_id, target_id)
);

CREATE INDEX follows_target ON follows (target_id, state);
