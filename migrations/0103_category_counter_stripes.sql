-- What posts add to a category's counters, in stripes (forum/category_counters.go).
--
-- Every post used to update its category's row (post_count, thread_count, last_post_at), so every
-- transaction that posted in a category queued on that one row until the one before it committed:
-- measured with the inbox benchmark, the update waited 10.9 ms a call and the threads it locked
-- before it 10.3 ms more, and applying went from 455 to 355 replies a second with it. A post now
-- adds to one of 16 stripes of the category, chosen by its thread (whose row the transaction
-- holds anyway), so posts in different threads rarely wait for each other.
--
-- categories keeps the base: what moderation (a thread deleted or moved) and the seeder set or
-- subtract. A category's counters are its base plus the sum of its stripes, and its last activity
-- the latest of its base and its stripes (the category_totals view, and forum's categoryColumns).
-- No foreign key: a key check would take a share lock on the category's row in every posting
-- transaction. Categories are not deleted; a stripe left by one would count for nothing.
CREATE TABLE category_counters (
    category_id  bigint   NOT NULL,
    stripe       smallint NOT NULL,
    threads      integer  NOT NULL DEFAULT 0,
    posts        bigint   NOT NULL DEFAULT 0,
    last_post_at timestamptz,
    PRIMARY KEY (category_id, stripe)
);

-- A category's last activity written to its row is a recomputation from the threads it lists
-- (forum's refreshCategoryActivity, the seeder, or stoa_actors_moderation_changed after a
-- suppression): the truth at that moment, which the stripes' later-only maxima must not
-- override, so they are cleared.
CREATE FUNCTION stoa_category_activity_recomputed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE category_counters SET last_post_at = NULL
    WHERE category_id = NEW.id AND last_post_at IS NOT NULL;
    RETURN NULL;
END
$$;

CREATE TRIGGER categories_activity_recomputed
    AFTER UPDATE OF last_post_at ON categories
    FOR EACH ROW EXECUTE FUNCTION stoa_category_activity_recomputed();

-- A category's counters as pages show them: for SQL that reads them outside forum's queries
-- (tests, an operator's psql).
CREATE VIEW category_totals AS
SELECT c.id,
       c.thread_count + coalesce(k.threads, 0) AS thread_count,
       c.post_count + coalesce(k.posts, 0) AS post_count,
       greatest(c.last_post_at, k.last_post_at) AS last_post_at
FROM categories c
LEFT JOIN LATERAL (SELECT sum(s.threads)::integer AS threads, sum(s.posts)::bigint AS posts,
                          max(s.last_post_at) AS last_post_at
                   FROM category_counters s WHERE s.category_id = c.id) k ON true;
