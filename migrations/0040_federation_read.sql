-- Federation's read side. fetch_attempted_at records when Stoa last tried (or queued a job) to
-- fetch a remote actor from its origin: a failed signature then refetches a key at most once per
-- few minutes across every process (SECURITY.md rule 11), and a stale actor is queued for refresh
-- once, not on every use. The indexes serve the keyset-paged followers/following collections and
-- a category's featured (pinned) threads.
ALTER TABLE actors ADD COLUMN fetch_attempted_at timestamptz;

CREATE INDEX follows_target_accepted ON follows (target_id, id DESC) WHERE state = 'accepted';
CREATE INDEX follows_follower_accepted ON follows (follower_id, id DESC) WHERE state = 'accepted';

CREATE INDEX threads_featured ON threads (category_id, pinned_at DESC, id DESC)
    WHERE pinned_at IS NOT NULL AND deleted_at IS NULL AND hidden_at IS NULL;
