-- Notifications in the app (forum/notification*.go): replies, mentions, likes, posts in watched
-- threads and new threads in watched categories. Rows are written by a background job
-- (NotifyArgs), never on the request path; the unique indexes make that job idempotent (a retried
-- job inserts nothing twice): a member gets at most one notification per post, of its most
-- specific kind, and one per like.
CREATE TABLE notifications (
    id         bigserial PRIMARY KEY,
    member_id  bigint NOT NULL REFERENCES members ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('reply', 'mention', 'like', 'watching', 'new_thread')),
    -- Who caused it: the post's author or the member who liked, local or remote.
    actor_id   bigint NOT NULL REFERENCES actors ON DELETE CASCADE,
    thread_id  bigint NOT NULL REFERENCES threads ON DELETE CASCADE,
    post_id    bigint NOT NULL REFERENCES posts ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);

-- The notifications page, newest first by keyset.
CREATE INDEX notifications_member ON notifications (member_id, id DESC);
-- The header's count, and marking read what a thread page shows: a member's unread rows only.
CREATE INDEX notifications_unread ON notifications (member_id) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notifications_once_per_post ON notifications (member_id, post_id) WHERE kind <> 'like';
CREATE UNIQUE INDEX notifications_once_per_like ON notifications (member_id, post_id, actor_id) WHERE kind = 'like';

-- Off by default: a member asks for notification e-mails on their settings page.
ALTER TABLE members ADD COLUMN email_notifications boolean NOT NULL DEFAULT false;
