-- 0107's notifications name the member they are about, so that a process drops only that member's
-- kept sessions (forum/session_cache.go): on a busy forum a notification is made for someone every
-- few moments, and each one dropped every kept session everywhere. The payload is the member's
-- (actor's) id for sessions, members, actors and notifications; empty, meaning everyone, for
-- reports (every moderator's header counts them) and for TRUNCATE.
--
-- Each branch reads its own table's column in a statement of its own: a record's missing field
-- is an error even in a CASE branch not taken.
CREATE OR REPLACE FUNCTION stoa_notify_viewers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    about text := '';
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        IF TG_OP = 'DELETE' THEN
            r := OLD;
        ELSE
            r := NEW;
        END IF;
        IF TG_TABLE_NAME IN ('sessions', 'notifications') THEN
            about := r.member_id::text;
        ELSIF TG_TABLE_NAME = 'members' THEN
            about := r.actor_id::text;
        ELSIF TG_TABLE_NAME = 'actors' THEN
            about := r.id::text;
        END IF;
    END IF;
    PERFORM pg_notify('stoa_viewers_changed', about);
    RETURN NULL;
END;
$$;
