-- Full-text search over thread titles and posts (forum/search*.go).
--
-- post_search holds, per post, its text as plain text (what result snippets are cut from, with
-- ts_headline) and its document: the opener's thread title at weight A, the text at weight D, so a
-- title match ranks about ten times a body match. A separate table keeps the posts rows, which
-- every thread page reads, narrow. Rows are written in the transaction that inserts or edits the
-- post; deleted and hidden posts stay indexed and are filtered out at query time, like threads in
-- categories the searcher may not see.
CREATE TABLE post_search (
    post_id  bigint PRIMARY KEY REFERENCES posts ON DELETE CASCADE,
    body     text NOT NULL,
    document tsvector NOT NULL
);

CREATE INDEX post_search_document ON post_search USING gin (document);

-- Synonyms, managed by admins on /admin/search. The list as typed: one group of words per line.
CREATE TABLE search_synonym_groups (
    position integer PRIMARY KEY,
    words    text[] NOT NULL
);

-- The same list as the text-search parser sees it: each word's lexeme and the lexeme of its
-- group's first word, which documents are indexed and queries are searched as. A canonical lexeme
-- has a row of its own (lexeme = canonical), so a group can be expanded back for highlighting.
--
-- Why a table and SQL functions rather than a PostgreSQL synonym dictionary: a dictionary is a
-- file in the server's share directory, which the application cannot write, pg_dump does not
-- save and every replica would need; and CREATE TEXT SEARCH DICTIONARY needs rights the
-- application's role should not have. A table is edited in a transaction, backed up with
-- everything else, and a change re-indexes the posts it affects from a background job.
CREATE TABLE search_synonyms (
    lexeme    text PRIMARY KEY,
    canonical text NOT NULL
);

CREATE INDEX search_synonyms_canonical ON search_synonyms (canonical);

-- A lexeme written as a tsvector or tsquery literal.
CREATE FUNCTION stoa_lexeme_literal(lexeme text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''' $$;

-- A document with every lexeme that has a synonym replaced by its group's canonical lexeme,
-- positions and weights kept (tsvector input merges lexemes that become equal).
CREATE FUNCTION stoa_search_canonical(doc tsvector) RETURNS tsvector
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM unnest(doc) u JOIN search_synonyms s ON s.lexeme = u.lexeme AND s.canonical <> u.lexeme)
            THEN doc
        ELSE (SELECT string_agg(stoa_lexeme_literal(coalesce(s.canonical, u.lexeme)) || coalesce(':' ||
                    (SELECT string_agg(x.p::text || x.w, ',') FROM unnest(u.positions, u.weights) AS x(p, w)), ''), ' ')::tsvector
              FROM unnest(doc) u LEFT JOIN search_synonyms s ON s.lexeme = u.lexeme)
    END $$;

-- The indexed document of a post: the thread title (openers only; NULL otherwise) and the text.
-- Both are plain text; the parser would take "<b>" or "&amp;" in them for markup and drop it, so
-- those two characters are read as spaces.
CREATE FUNCTION stoa_search_document(title text, body text) RETURNS tsvector
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT stoa_search_canonical(setweight(to_tsvector('english', translate(coalesce(title, ''), '<&', '  ')), 'A')
        || setweight(to_tsvector('english', translate(body, '<&', '  ')), 'D')) $$;

-- What a person typed (web search syntax: "a phrase", -word, or) as a query over documents: the
-- same synonyms applied.
CREATE FUNCTION stoa_search_query(q text) RETURNS tsquery
    LANGUAGE sql STABLE
    AS $$ SELECT ts_rewrite(websearch_to_tsquery('english', q),
        'SELECT stoa_lexeme_literal(lexeme)::tsquery, stoa_lexeme_literal(canonical)::tsquery
         FROM search_synonyms WHERE lexeme <> canonical') $$;

-- A canonical query expanded back to every word of each group, for highlighting matches in the
-- original text (which says "PostgreSQL" where the index says "pg").
CREATE FUNCTION stoa_search_highlight_query(q tsquery) RETURNS tsquery
    LANGUAGE sql STABLE
    AS $$ SELECT ts_rewrite(q,
        'SELECT stoa_lexeme_literal(canonical)::tsquery, string_agg(stoa_lexeme_literal(lexeme), '' | '')::tsquery
         FROM search_synonyms GROUP BY canonical') $$;

-- Index the posts that exist. Their text is taken from the stored HTML here (tags dropped, the
-- entities the renderer and sanitiser write decoded); from now on the forum writes the text itself
-- on every insert and edit.
CREATE FUNCTION stoa_html_text_once(html text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT replace(replace(replace(replace(replace(replace(replace(
        regexp_replace(regexp_replace(html, '<(br|/p|/li|/h[1-6]|/blockquote|/pre)\M[^>]*>', E'\n', 'gi'), '<[^>]*>', '', 'g'),
        '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#34;', '"'), '&#39;', ''''), '&nbsp;', ' '), '&amp;', '&') $$;

INSERT INTO post_search (post_id, body, document)
SELECT p.id, b.body, stoa_search_document(CASE WHEN p.position = 1 THEN t.title END, b.body)
FROM posts p
JOIN threads t ON t.id = p.thread_id
CROSS JOIN LATERAL (SELECT stoa_html_text_once(p.html) AS body) b;

DROP FUNCTION stoa_html_text_once(text);
