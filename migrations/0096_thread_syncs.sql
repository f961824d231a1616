-- A mirrored thread (one that lives on another server) is caught up with its home from time to
-- time: its context collection for posts this server never received, its contextHistory for edits,
-- deletions and likes made while this server was away. thread_syncs remembers when that last ran
-- and how far into the history it got (the page to read again and how many of its items were
-- applied), so the next sync fetches only what is new.
CREATE TABLE thread_syncs (
    thread_id    bigint PRIMARY KEY REFERENCES threads ON DELETE CASCADE,
    history_page text NOT NULL DEFAULT '',
    history_seen integer NOT NULL DEFAULT 0 CHECK (history_seen >= 0),
    synced_at    timestamptz NOT NULL DEFAULT now()
);
