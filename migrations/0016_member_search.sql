-- The admin members list searches by username prefix (LIKE 'abc%'). The unique index on local
-- usernames serves prefix matches only under the C collation; this one serves them under any
-- database collation.
CREATE INDEX actors_local_username_prefix ON actors (username text_pattern_ops) WHERE domain IS NULL;
