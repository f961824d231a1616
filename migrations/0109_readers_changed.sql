-- What a member's own pages show of their reading (web's member page cache): which posts they have
-- read and their watch levels, kept in member_threads and member_categories. Every change to either
-- notifies stoa_readers_changed, naming the member (forum/reader_changes.go), so that a page kept for
-- one member is dropped by every process when their reading changes, and nobody else's is.
--
-- Row triggers, so a statement that changes nothing (a thread page read again, whose read mark
-- already covers it) costs nothing. A statement can change many members' rows at once (an edited
-- post made unread for all its readers, read positions shifted by a late post): past 16 rows in one
-- transaction, one notification naming nobody, which means everyone, replaces the rest. The count
-- is a transaction-local setting, so it starts again with each transaction.
CREATE FUNCTION stoa_notify_readers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    told int := coalesce(nullif(current_setting('stoa.readers_told', true), ''), '0')::int;
    about text := '';
BEGIN
    IF told > 16 THEN
        RETURN NULL; -- everyone has been named already
    END IF;
    PERFORM set_config('stoa.readers_told', (told + 1)::text, true);
    IF TG_LEVEL = 'ROW' AND told < 16 THEN
        IF TG_OP = 'DELETE' THEN
            about := OLD.member_id::text;
        ELSE
            about := NEW.member_id::text;
        END IF;
    END IF;
    PERFORM pg_notify('stoa_readers_changed', about);
    RETURN NULL;
END;
$$;

CREATE TRIGGER member_threads_readers_changed AFTER INSERT OR UPDATE OR DELETE ON member_threads
    FOR EACH ROW EXECUTE FUNCTION stoa_notify_readers_changed();
CREATE TRIGGER member_threads_readers_truncated AFTER TRUNCATE ON member_threads
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_readers_changed();
CREATE TRIGGER member_categories_readers_changed AFTER INSERT OR UPDATE OR DELETE ON member_categories
    FOR EACH ROW EXECUTE FUNCTION stoa_notify_readers_changed();
CREATE TRIGGER member_categories_readers_truncated AFTER TRUNCATE ON member_categories
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_readers_changed();
