package forum

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Search synonyms: groups of words admins declare equal ("pg, postgres, postgresql"). Each word is
// turned into the lexeme the text-search parser makes of it, and every lexeme of a group is
// indexed and searched as the group's first one (migration 0052 explains why a table and not a
// PostgreSQL dictionary). The table is applied at index time, by stoa_search_document, and at
// query time, by stoa_search_query; snippets highlight every word of a group.
//
// A change of the list makes some stored documents stale: a document holds each word under the
// lexeme the old list mapped it to. The words whose mapping changed are known when the list is
// saved, and a document is stale exactly when it contains one of their old lexemes, which the
// full-text index finds; so saving queues a SearchReindexArgs job with those lexemes, and the job
// rewrites the matching documents from their stored text, a batch per run, in post id order,
// queuing the next batch in the transaction that commits the current one. Every batch applies the
// list as it is when the batch runs, so overlapping changes converge on the latest list.

// Synonym list limits.
const (
	MaxSynonymGroups  = 500
	MaxSynonymWordLen = 50
	maxGroupWords     = 20
)

// reindexBatch is how many documents one reindex job rewrites.
const reindexBatch = 500

// SearchReindexArgs is the background job that re-indexes the documents a synonym change made
// stale: those containing one of Lexemes, after post AfterPostID.
type SearchReindexArgs struct {
	Lexemes     []string `json:"lexemes"`
	AfterPostID int64    `json:"after_post_id"`
}

// Kind names the job.
func (SearchReindexArgs) Kind() string { return "search_reindex" }

// SearchSynonyms returns the synonym groups, each in the order typed. Admins only.
func (f *Forum) SearchSynonyms(ctx context.Context, by Viewer) ([][]string, error) {
	if !by.IsAdmin() {
		return nil, fmt.Errorf("search synonyms: %w", ErrForbidden)
	}
	rows, err := f.db.Query(ctx, `SELECT words FROM search_synonym_groups ORDER BY position`)
	if err != nil {
		return nil, fmt.Errorf("search synonyms: %w", err)
	}
	groups, err := pgx.CollectRows(rows, pgx.RowTo[[]string])
	if err != nil {
		return nil, fmt.Errorf("search synonyms: %w", err)
	}
	return groups, nil
}

// FormatSynonyms writes groups as the admin page's text: one group per line, words separated by
// commas.
func FormatSynonyms(groups [][]string) string {
	lines := make([]string, len(groups))
	for i, g := range groups {
		lines[i] = strings.Join(g, ", ")
	}
	return strings.Join(lines, "\n")
}

// synonymWord is one word of the list with the lexemes the parser makes of it.
type synonymWord struct {
	Word    string
	Line    int
	Lexemes []string
}

// SetSearchSynonyms replaces the synonym list with text: one group per line, words separated by
// commas, the first word of a line being what the others are indexed as. Admins only; recorded in
// the moderation log. It reports whether a re-index was queued.
func (f *Forum) SetSearchSynonyms(ctx context.Context, by Viewer, text string) (bool, error) {
	if !by.IsAdmin() {
		return false, fmt.Errorf("search synonyms: %w", ErrForbidden)
	}
	groups, err := parseSynonymLines(text)
	if err != nil {
		return false, err
	}
	var queued bool
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		// One change at a time, so two admins saving at once cannot interleave their rows.
		if _, err := tx.Exec(ctx, `LOCK TABLE search_synonyms IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		mapping, err := synonymMapping(ctx, tx, groups)
		if err != nil {
			return err
		}
		old, err := currentSynonyms(ctx, tx)
		if err != nil {
			return err
		}
		stale := staleLexemes(old, mapping)
		if _, err := tx.Exec(ctx, `DELETE FROM search_synonym_groups`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM search_synonyms`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO search_synonym_groups (position, words)
			SELECT n, ARRAY(SELECT jsonb_array_elements_text(g)) FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(g, n)`,
			groups); err != nil {
			return fmt.Errorf("store synonym groups: %w", err)
		}
		lexemes, canonicals := make([]string, 0, len(mapping)), make([]string, 0, len(mapping))
		for l, c := range mapping {
			lexemes, canonicals = append(lexemes, l), append(canonicals, c)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO search_synonyms (lexeme, canonical) SELECT * FROM unnest($1::text[], $2::text[])`,
			lexemes, canonicals); err != nil {
			return fmt.Errorf("store synonyms: %w", err)
		}
		if len(stale) > 0 {
			queued = true
			if err := f.insertJob(ctx, tx, SearchReindexArgs{Lexemes: stale}); err != nil {
				return err
			}
		}
		return f.logModeration(ctx, tx, by, ModerationEntry{Action: "update_search_synonyms",
			Details: modDetails(map[string]any{"groups": len(groups), "stale_lexemes": len(stale)})})
	})
	if err != nil {
		return false, fmt.Errorf("search synonyms: %w", err)
	}
	return queued, nil
}

// parseSynonymLines splits the admin's text into groups of distinct, lower-cased words.
func parseSynonymLines(text string) ([][]string, error) {
	v := &ValidationError{}
	groups := [][]string{}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var g []string
		for _, w := range strings.Split(line, ",") {
			w = strings.ToLower(strings.TrimSpace(w))
			switch {
			case w == "":
				continue
			case len([]rune(w)) > MaxSynonymWordLen:
				v.Add("synonyms", "line %d: %q is longer than %d characters", i+1, w, MaxSynonymWordLen)
			case !slices.Contains(g, w):
				g = append(g, w)
			}
		}
		switch {
		case len(g) < 2:
			v.Add("synonyms", "line %d: a group needs at least two words, separated by commas", i+1)
		case len(g) > maxGroupWords:
			v.Add("synonyms", "line %d: a group has at most %d words", i+1, maxGroupWords)
		}
		groups = append(groups, g)
	}
	if len(groups) > MaxSynonymGroups {
		v.Add("synonyms", "at most %d groups (lines)", MaxSynonymGroups)
	}
	return groups, v.Err()
}

// synonymMapping turns groups into lexeme -> canonical lexeme, refusing words the parser does not
// make exactly one lexeme of (stop words, several words) and a lexeme in two groups.
func synonymMapping(ctx context.Context, tx pgx.Tx, groups [][]string) (map[string]string, error) {
	var words []string
	var lines []int
	for i, g := range groups {
		for _, w := range g {
			words, lines = append(words, w), append(lines, i+1)
		}
	}
	rows, err := tx.Query(ctx, `SELECT w.word, w.line, tsvector_to_array(to_tsvector('english', w.word)) AS lexemes
		FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS w(word, line, n) ORDER BY w.n`, words, lines)
	if err != nil {
		return nil, fmt.Errorf("parse synonyms: %w", err)
	}
	parsed, err := pgx.CollectRows(rows, pgx.RowToStructByPos[synonymWord])
	if err != nil {
		return nil, fmt.Errorf("parse synonyms: %w", err)
	}
	v := &ValidationError{}
	mapping := map[string]string{}
	lineOf := map[string]int{}
	canonical := ""
	line := 0
	for _, w := range parsed {
		if len(w.Lexemes) != 1 {
			if len(w.Lexemes) == 0 {
				v.Add("synonyms", "line %d: %q is too common a word to be indexed", w.Line, w.Word)
			} else {
				v.Add("synonyms", "line %d: %q is more than one word; synonyms are single words", w.Line, w.Word)
			}
			continue
		}
		lex := w.Lexemes[0]
		if w.Line != line {
			line, canonical = w.Line, lex
		}
		if other, dup := lineOf[lex]; dup && other != w.Line {
			v.Add("synonyms", "line %d: %q is already in the group of line %d (the same word to the search index)", w.Line, w.Word, other)
			continue
		}
		lineOf[lex] = w.Line
		mapping[lex] = canonical
	}
	return mapping, v.Err()
}

func currentSynonyms(ctx context.Context, tx pgx.Tx) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT lexeme, canonical FROM search_synonyms`)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	var l, c string
	_, err = pgx.ForEachRow(rows, []any{&l, &c}, func() error { m[l] = c; return nil })
	return m, err
}

// staleLexemes lists, sorted, the lexemes stored documents hold for every word whose mapping
// changes from old to new: a word w is stored as old[w] (or w), and must become new[w] (or w).
func staleLexemes(old, new map[string]string) []string {
	mapped := func(m map[string]string, w string) string {
		if c, ok := m[w]; ok {
			return c
		}
		return w
	}
	set := map[string]bool{}
	for _, m := range []map[string]string{old, new} {
		for w := range m {
			if mapped(old, w) != mapped(new, w) {
				set[mapped(old, w)] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for l := range set {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// ReindexSearchBatch does one run of a SearchReindexArgs job: it rewrites up to a batch of the
// documents holding one of the stale lexemes, after the job's post id, from their stored text and
// the current synonym list, and queues the next batch in the same transaction when this one was
// full. It returns how many documents it rewrote.
func (f *Forum) ReindexSearchBatch(ctx context.Context, a SearchReindexArgs) (int, error) {
	if len(a.Lexemes) == 0 {
		return 0, nil
	}
	var n int
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH q AS (
				SELECT string_agg(stoa_lexeme_literal(l), ' | ')::tsquery AS query FROM unnest($1::text[]) l),
			batch AS (
				SELECT s.post_id FROM post_search s, q
				WHERE s.document @@ q.query AND s.post_id > $2
				ORDER BY s.post_id LIMIT $3)
			UPDATE post_search s
			SET document = stoa_search_document(CASE WHEN p.position = 1 THEN t.title END, s.body)
			FROM batch b, posts p, threads t
			WHERE s.post_id = b.post_id AND p.id = b.post_id AND t.id = p.thread_id
			RETURNING s.post_id`, a.Lexemes, a.AfterPostID, reindexBatch)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		n = len(ids)
		if n < reindexBatch {
			return nil
		}
		return f.insertJob(ctx, tx, SearchReindexArgs{Lexemes: a.Lexemes, AfterPostID: slices.Max(ids)})
	})
	if err != nil {
		return 0, fmt.Errorf("re-index search after post %d: %w", a.AfterPostID, err)
	}
	return n, nil
}
