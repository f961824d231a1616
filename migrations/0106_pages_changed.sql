-- Caches of whole pages (web's guest page cache) keep a copy only while nothing it shows has
-- changed in any process (forum/page_changes.go). Every statement that writes what a thread list,
-- a thread page or the thread API shows notifies stoa_pages_changed; NOTIFY is delivered after
-- the commit and coalesced within a transaction, so a transaction that writes a post, its thread,
-- its counters and its author costs one message. Categories' and permissions' own channel
-- (0020), the domain rules' (0080) and the site settings' (below) count as page changes too; categories are listed here as
-- well because 0020 notifies only for the columns permissions are compiled from, and a page shows
-- a category's title.
--
-- Statement triggers, not row triggers: a COPY of ten thousand seeded posts notifies once.
CREATE FUNCTION stoa_notify_pages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stoa_pages_changed', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER threads_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON threads
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_changed();
CREATE TRIGGER posts_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON posts
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_changed();
CREATE TRIGGER actors_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON actors
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_changed();
CREATE TRIGGER categories_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_changed();
CREATE TRIGGER category_counters_pages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON category_counters
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_pages_changed();

-- The site settings have a channel of their own: every process keeps them in memory
-- (forum/site_settings.go) and drops its copy when they change anywhere. Before, other processes
-- reloaded them after 30 s; a page cached meanwhile would have kept the old ones for longer.
CREATE FUNCTION stoa_notify_site_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stoa_site_changed', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER site_settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON site_settings
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_site_changed();
