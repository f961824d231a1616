-- Each process keeps the sessions it has resumed in memory (forum/session_cache.go) and resumes
-- them again without a query only while nothing that decides or shows a signed-in viewer has
-- changed in any process. Those writes notify stoa_viewers_changed:
--   - a session revoked (logout, "sign out elsewhere", a password change, pruning);
--   - a member's role or ban, an actor's suspension, deletion or name;
--   - notifications and reports, whose counts every signed-in page's header shows.
-- A session's touch (last_used_at, expires_at) and a member's last_seen_at do not: the cache
-- touches a session itself when it is due, as the query would.
--
-- Row triggers, unlike 0106's statement triggers: a statement trigger fires even when its
-- statement changes no row, and a thread page's read mark runs "mark this page's notifications
-- read" on every view, nearly always changing nothing. NOTIFY coalesces identical messages within
-- a transaction, so many rows still make one message.
CREATE FUNCTION stoa_notify_viewers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stoa_viewers_changed', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_viewers_changed AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION stoa_notify_viewers_changed();
CREATE TRIGGER members_viewers_changed AFTER UPDATE OF role, banned_until OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION stoa_notify_viewers_changed();
CREATE TRIGGER actors_viewers_changed AFTER UPDATE OF suspended_at, deleted_at, username OR DELETE ON actors
    FOR EACH ROW EXECUTE FUNCTION stoa_notify_viewers_changed();
CREATE TRIGGER notifications_viewers_changed AFTER INSERT OR UPDATE OR DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION stoa_notify_viewers_changed();
CREATE TRIGGER reports_viewers_changed AFTER INSERT OR UPDATE OR DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION stoa_notify_viewers_changed();

CREATE TRIGGER sessions_viewers_truncated AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_viewers_changed();
CREATE TRIGGER members_viewers_truncated AFTER TRUNCATE ON members
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_viewers_changed();
CREATE TRIGGER actors_viewers_truncated AFTER TRUNCATE ON actors
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_viewers_changed();
CREATE TRIGGER notifications_viewers_truncated AFTER TRUNCATE ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_viewers_changed();
CREATE TRIGGER reports_viewers_truncated AFTER TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION stoa_notify_viewers_changed();
