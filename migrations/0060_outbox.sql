-- What the outbox needs to deliver activities and to show how delivery went.
--
-- activity_documents: documents derived from one recorded activity and signed by another actor
-- (the category's Announce of a member's Create, the plain Announce of the object Mastodon shows as
-- a boost, the thread actor's Announce). Like activities.payload they are stored the first time
-- they are built, so a fan-out re-run after a crash sends the same bytes and ids; their ids live
-- under the activity's (/activities/{id}/{name}) and are served from here.
--
-- deliveries: one row per delivery job (activity, document, inbox), written in the fan-out's
-- transaction and updated in batches by the delivery workers. River deletes finished jobs after a
-- day; these rows keep a post's delivery status by domain for the admin pages, list the inboxes
-- that received a post's Create (its Update and Delete go to them too), and find a domain's queued
-- jobs (job_id) to cancel when the domain is blocked.
--
-- domains: what Stoa knows about each remote server it talks to: its software (from NodeInfo;
-- forum software receives every activity of a category, microblogs only its new threads) and its
-- delivery health (Mastodon's rule: failures on 7 distinct days with no success in between make a
-- domain unavailable, and deliveries to it are skipped until it succeeds or talks to us again).
--
-- follows.follow_activity_id: the Follow activity a local member sent, whose id an Undo repeats
-- and a remote Accept or Reject names (local ids are derived, never stored, so the row points at
-- the activity instead of storing its IRI in ap_id).
CREATE TABLE activity_documents (
    activity_id bigint NOT NULL REFERENCES activities ON DELETE CASCADE,
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{0,31}$'),
    -- Who signs the document: its actor.
    actor_id    bigint NOT NULL REFERENCES actors,
    payload     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (activity_id, name)
);

CREATE TABLE deliveries (
    activity_id bigint NOT NULL REFERENCES activities ON DELETE CASCADE,
    -- '' for the activity's own document, else the name of an activity_documents row.
    document    text NOT NULL,
    inbox       text NOT NULL,
    -- Canonical host[:port] of the inbox.
    domain      text NOT NULL,
    job_id      bigint,
    state       text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts    integer NOT NULL DEFAULT 0,
    -- The last HTTP status (0 for a network error) and error of a failed attempt.
    last_status integer,
    last_error  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (activity_id, document, inbox)
);

CREATE INDEX deliveries_pending_domain ON deliveries (domain) WHERE state = 'pending';
CREATE INDEX deliveries_domain_recent ON deliveries (domain, created_at DESC);
CREATE INDEX deliveries_created ON deliveries (created_at);

CREATE TABLE domains (
    domain              text PRIMARY KEY,
    software            text NOT NULL DEFAULT '',
    software_version    text NOT NULL DEFAULT '',
    software_checked_at timestamptz,
    -- Distinct UTC days with a failed delivery since the last success.
    failure_days        date[] NOT NULL DEFAULT '{}',
    last_failure_at     timestamptz,
    last_error          text NOT NULL DEFAULT '',
    last_success_at     timestamptz,
    unavailable_since   timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX domains_unavailable ON domains (unavailable_since) WHERE unavailable_since IS NOT NULL;

ALTER TABLE follows ADD COLUMN follow_activity_id bigint REFERENCES activities ON DELETE SET NULL;
CREATE INDEX follows_follow_activity ON follows (follow_activity_id) WHERE follow_activity_id IS NOT NULL;
