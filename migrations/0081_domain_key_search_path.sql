-- The expression index actors_domain_key (0080) calls stoa_domain_key, which called stoa_host_name
-- by its bare name. PostgreSQL evaluates index expressions during autovacuum's ANALYZE, VACUUM and
-- CREATE INDEX with a search_path of pg_catalog only, where stoa_host_name is not found: every
-- automatic analyze of actors failed ("function stoa_host_name(text) does not exist"), so the
-- table's statistics went stale. The key now uses built-in functions only; its values are the
-- same, so the index stays valid.
CREATE OR REPLACE FUNCTION stoa_domain_key(domain text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT pg_catalog.reverse('.' || CASE WHEN pg_catalog.left(domain, 1) = '[' THEN pg_catalog.split_part(domain, ']', 1) || ']'
                                                ELSE pg_catalog.split_part(domain, ':', 1) END) $$;
