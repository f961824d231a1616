-- Activities received from other servers, recorded once their signature has been verified. The
-- unique ap_id makes a replayed or re-delivered activity a no-op (SECURITY.md rule 7); the exact
-- bytes are kept because a Group relays what it accepts unchanged (FEP-1b12 Announce), and so that
-- moderators can see what arrived.
CREATE TABLE inbound_activities (
    id          bigserial PRIMARY KEY,
    ap_id       text NOT NULL UNIQUE,
    type        text NOT NULL,
    actor_ap_id text NOT NULL,
    actor_id    bigint REFERENCES actors ON DELETE SET NULL,
    -- The inbox it was POSTed to (shared or personal), for routing and debugging.
    inbox       text NOT NULL DEFAULT '',
    payload     bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    applied_at  timestamptz,
    -- Why applying failed or was skipped, when it was.
    outcome     text NOT NULL DEFAULT ''
);

CREATE INDEX inbound_activities_actor ON inbound_activities (actor_id, received_at DESC);
