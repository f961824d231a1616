-- 0106's notifications of page changes said nothing of what changed, so every write anywhere dropped
-- every kept page and shared read in every process: on a forum that receives replies from the
-- fediverse every few moments, a quiet thread's page was read afresh as often as a busy one's.
-- Posts, threads and category counters now name what a statement changed (forum/page_changes.go):
-- "t<id>" for each thread, "c<id>" for each category (a post's thread's category; a thread's old and
-- new category when it moves). Past 16 names, or for a TRUNCATE, one empty notification stands for
-- everything, as before. Actors and categories keep 0106's empty notification: every page shows
-- names and categories.
--
-- Statement triggers with transition tables: a statement that changes nothing names nothing, and a
-- statement over many rows costs one call. The seed takes them off while it loads
-- (forum/seed_schema.go): a transition table of millions of rows would be written out in full.
CREATE FUNCTION stoa_notify_pages_scoped() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    thread_ids bigint[] := '{}';
    category_ids bigint[] := '{}';
    one bigint;
BEGIN
    IF TG_TABLE_NAME = 'posts' THEN
        IF TG_OP = 'INSERT' THEN
            thread_ids := ARRAY(SELECT DISTINCT r.thread_id FROM new_rows r);
        ELSIF TG_OP = 'DELETE' THEN
            thread_ids := ARRAY(SELECT DISTINCT r.thread_id FROM old_rows r);
        ELSE
            thread_ids := ARRAY(SELECT r.thread_id FROM new_rows r UNION SELECT r.thread_id FROM old_rows r);
        END IF;
        category_ids := ARRAY(SELECT DISTINCT t.category_id FROM threads t WHERE t.id = ANY (thread_ids));
    ELSIF TG_TABLE_NAME = 'threads' THEN
        IF TG_OP = 'INSERT' THEN
            thread_ids := ARRAY(SELECT r.id FROM new_rows r);
            category_ids := ARRAY(SELECT DISTINCT r.category_id FROM new_rows r);
        ELSIF TG_OP = 'DELETE' THEN
            thread_ids := ARRAY(SELECT r.id FROM old_rows r);
            category_ids := ARRAY(SELECT DISTINCT r.category_id FROM old_rows r);
        ELSE
            thread_ids := ARRAY(SELECT r.id FROM new_rows r UNION SELECT r.id FROM old_rows r);
            category_ids := ARRAY(SELECT r.category_id FROM new_rows r UNION SELECT r.category_id FROM old_rows r);
        END IF;
    ELSE -- category_counters
        IF TG_OP = 'INSERT' THEN
            category_ids := ARRAY(SELECT DISTINCT r.category_id FROM new_rows r);
        ELSIF TG_OP = 'DELETE' THEN
            category_ids := ARRAY(SELECT DISTINCT r.category_id FROM old_rows r);
        ELSE
            category_ids := ARRAY(SELECT r.category_id FROM new_rows r UNION SELECT r.category_id FROM old_rows r);
        END IF;
    END IF;
    IF cardinality(thread_ids) + cardinality(category_ids) > 16 THEN
        PERFORM pg_notify('stoa_pages_changed', '');
        RETURN NULL;
    END IF;
    FOREACH one IN ARRAY thread_ids LOOP
        PERFORM pg_notify('stoa_pages_changed', 't' || one);
    END LOOP;
    FOREACH one IN ARRAY category_ids LOOP
        PERFORM pg_notify('stoa_pages_changed', 'c' || one);
    END LOOP;
    RETURN NULL;
END;
$$;

DROP TRIGGER posts_pages_changed ON posts;
DROP TRIGGER threads_pages_changed ON threads;
DROP TRIGGER category_counters_pages_changed ON category_counters;

CREATE TRIGGER posts_pages_inserted AFTER INSERT ON posts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_scoped();
CREATE TRIGGER posts_pages_updated AFTER UPDATE ON posts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_scoped();
CREATE TRIGGER posts_pages_deleted AFTER DELETE ON posts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_scoped();
CREATE TRIGGER posts_pages_truncated AFTER TRUNCATE ON posts
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_changed();

CREATE TRIGGER threads_pages_inserted AFTER INSERT ON threads REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_scoped();
CREATE TRIGGER threads_pages_updated AFTER UPDATE ON threads REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_scoped();
CREATE TRIGGER threads_pages_deleted AFTER DELETE ON threads REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_scoped();
CREATE TRIGGER threads_pages_truncated AFTER TRUNCATE ON threads
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_changed();

CREATE TRIGGER category_counters_pages_inserted AFTER INSERT ON category_counters REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_scoped();
CREATE TRIGGER category_counters_pages_updated AFTER UPDATE ON category_counters
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_scoped();
CREATE TRIGGER category_counters_pages_deleted AFTER DELETE ON category_counters REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_scoped();
CREATE TRIGGER category_counters_pages_truncated AFTER TRUNCATE ON category_counters
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_changed();

-- A member's follow of a remote Group shows on the Group's page, theirs alone (web's member page
-- cache): its state changes when the Group answers, in an inbox job, which no longer moves the
-- pages' generation of the process that runs it (forum/forum.go inTx). So a follow names its
-- follower on the readers' channel (0109), as a member's reading does.
CREATE FUNCTION stoa_notify_follower_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('stoa_readers_changed', OLD.follower_id::text);
    ELSE
        PERFORM pg_notify('stoa_readers_changed', NEW.follower_id::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER follows_follower_changed AFTER INSERT OR UPDATE OR DELETE ON follows
    FOR EACH ROW EXECUTE FUNCTION stoa_notify_follower_changed();
