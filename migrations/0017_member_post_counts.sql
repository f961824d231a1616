-- Members' post counts, for the member page and the admin list. Counting on every view costs 10 ms
-- for a member with 20,000 posts (and that once per row of the admin list); a counter costs one
-- row update per post. It counts what pages show: posts that are neither deleted nor hidden, in
-- threads that are neither deleted nor hidden. Triggers keep it, so it stays right whichever code
-- path inserts, hides, deletes or moves posts and threads.
ALTER TABLE members ADD COLUMN post_count integer NOT NULL DEFAULT 0;

CREATE FUNCTION members_post_count_on_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_counted boolean := false;
    is_counted  boolean := false;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        was_counted := OLD.deleted_at IS NULL AND OLD.hidden_at IS NULL AND EXISTS (
            SELECT 1 FROM threads t WHERE t.id = OLD.thread_id AND t.deleted_at IS NULL AND t.hidden_at IS NULL);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        is_counted := NEW.deleted_at IS NULL AND NEW.hidden_at IS NULL AND EXISTS (
            SELECT 1 FROM threads t WHERE t.id = NEW.thread_id AND t.deleted_at IS NULL AND t.hidden_at IS NULL);
    END IF;
    IF TG_OP = 'UPDATE' AND was_counted = is_counted AND OLD.author_id = NEW.author_id THEN
        RETURN NULL;
    END IF;
    IF was_counted THEN
        UPDATE members SET post_count = post_count - 1 WHERE actor_id = OLD.author_id;
    END IF;
    IF is_counted THEN
        UPDATE members SET post_count = post_count + 1 WHERE actor_id = NEW.author_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER posts_member_post_count
    AFTER INSERT OR DELETE OR UPDATE OF deleted_at, hidden_at, author_id, thread_id ON posts
    FOR EACH ROW EXECUTE FUNCTION members_post_count_on_post();

-- Hiding, deleting or restoring a thread adds or removes all of its visible posts at once.
CREATE FUNCTION members_post_count_on_thread() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_visible boolean := OLD.deleted_at IS NULL AND OLD.hidden_at IS NULL;
    is_visible  boolean := NEW.deleted_at IS NULL AND NEW.hidden_at IS NULL;
BEGIN
    IF was_visible = is_visible THEN
        RETURN NULL;
    END IF;
    UPDATE members m SET post_count = m.post_count + CASE WHEN is_visible THEN c.n ELSE -c.n END
    FROM (SELECT author_id, count(*)::integer AS n FROM posts
          WHERE thread_id = NEW.id AND deleted_at IS NULL AND hidden_at IS NULL
          GROUP BY author_id) c
    WHERE m.actor_id = c.author_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER threads_member_post_count
    AFTER UPDATE OF deleted_at, hidden_at ON threads
    FOR EACH ROW EXECUTE FUNCTION members_post_count_on_thread();

UPDATE members m SET post_count = c.n
FROM (SELECT p.author_id, count(*)::integer AS n
      FROM posts p JOIN threads t ON t.id = p.thread_id
      WHERE p.deleted_at IS NULL AND p.hidden_at IS NULL AND t.deleted_at IS NULL AND t.hidden_at IS NULL
      GROUP BY p.author_id) c
WHERE m.actor_id = c.author_id;
