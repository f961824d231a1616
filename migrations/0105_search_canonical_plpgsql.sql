-- stoa_search_canonical, same body, in PL/pgSQL. As a SQL function it cannot be inlined (its
-- argument, a whole to_tsvector, is used three times), and a SQL function that is not inlined has
-- its body parsed and planned again in every statement that calls it: every post's search row
-- paid about 0.2 ms of planning (0.35 ms a call against 0.14 ms for to_tsvector alone, measured
-- with a prepared INSERT's SELECT in psql). PL/pgSQL keeps its statements' plans for the session.
CREATE OR REPLACE FUNCTION stoa_search_canonical(doc tsvector) RETURNS tsvector
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM unnest(doc) u JOIN search_synonyms s ON s.lexeme = u.lexeme AND s.canonical <> u.lexeme) THEN
        RETURN doc;
    END IF;
    RETURN (SELECT string_agg(stoa_lexeme_literal(coalesce(s.canonical, u.lexeme)) || coalesce(':' ||
                (SELECT string_agg(x.p::text || x.w, ',') FROM unnest(u.positions, u.weights) AS x(p, w)), ''), ' ')::tsvector
            FROM unnest(doc) u LEFT JOIN search_synonyms s ON s.lexeme = u.lexeme);
END $$;
