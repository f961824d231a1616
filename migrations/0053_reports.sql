-- Reports and the moderation queue (forum/report.go). A report names the account it is about
-- and, when it is about posts, those posts (several: an ActivityPub Flag carries an account and any
-- number of its posts). The reporter is any actor: a member here, or, for Flags the inbox files
-- into the same queue, a remote person or a remote instance's actor; ap_id is the Flag's id, so
-- a redelivered Flag files nothing twice. forwarded_at records when a report was sent on to the
-- reported account's server (Mastodon's "forward" option).
CREATE TABLE reports (
    id              bigserial PRIMARY KEY,
    reporter_id     bigint NOT NULL REFERENCES actors,
    target_actor_id bigint NOT NULL REFERENCES actors,
    -- The rule broken, as the rules read when the report was made (site_settings.report_rules).
    rule            text NOT NULL DEFAULT '',
    reason          text NOT NULL DEFAULT '',
    ap_id           text UNIQUE,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    -- What staff did: dismiss, hide_post, delete_post or ban_member.
    resolution      text NOT NULL DEFAULT '',
    resolved_by     bigint REFERENCES actors,
    resolved_at     timestamptz,
    forwarded_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The queue (open reports, newest first) and its count in the admin navigation.
CREATE INDEX reports_open ON reports (id DESC) WHERE status = 'open';
-- Acting on an account closes the other open reports about it.
CREATE INDEX reports_open_target ON reports (target_actor_id) WHERE status = 'open';
CREATE INDEX reports_reporter ON reports (reporter_id, created_at DESC);

CREATE TABLE report_posts (
    report_id bigint NOT NULL REFERENCES reports ON DELETE CASCADE,
    post_id   bigint NOT NULL REFERENCES posts ON DELETE CASCADE,
    PRIMARY KEY (report_id, post_id)
);

CREATE INDEX report_posts_post ON report_posts (post_id);

-- The rules a report can name, maintained by admins with the other site settings.
ALTER TABLE site_settings ADD COLUMN report_rules text[] NOT NULL DEFAULT '{}';
