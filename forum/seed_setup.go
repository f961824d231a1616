package forum

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// The seed's fixed parts: members, remote people, categories and the bookkeeping row, made in one
// transaction on an empty database; and the plan, read back from them on every run.

// seedCategories are the seeded categories; weight is the share of threads. The first is the bench
// category (the largest), and troubleshooting has sub-categories.
var seedCategories = []struct {
	slug, title, description, parent string
	weight                           float64
}{
	{"general", "General discussion", "Anything about running and using the software.", "", 0.35},
	{"announcements", "Announcements", "News about the project and this forum.", "", 0.02},
	{"troubleshooting", "Troubleshooting", "Ask here when something does not work.", "", 0.15},
	{"installation", "Installation", "Packages, containers, the first start.", "troubleshooting", 0.10},
	{"configuration", "Configuration", "Settings, proxies, mail and storage.", "troubleshooting", 0.10},
	{"federation", "Federation", "Talking to Mastodon, Lemmy and the rest of the fediverse.", "troubleshooting", 0.05},
	{"development", "Development", "Contributing code, translations and documentation.", "", 0.08},
	{"showcase", "Showcase", "Show what you built or host.", "", 0.07},
	{"offtopic", "Off topic", "Everything else.", "", 0.08},
}

// seedRemoteHosts are the servers seeded remote people live on (RFC 2606 names).
var seedRemoteHosts = []string{"mastodon.example", "fosstodon.example", "lemmy.example", "gts.example",
	"nodebb.example", "hachyderm.example", "social.example", "misskey.example"}

const (
	// seedBenchRank is the bench member's place in the activity order: a regular, not the top poster.
	seedBenchRank = 20
	seedLockKey   = 0x5eed_5eed
)

func (f *Forum) seedSetup(ctx context.Context, opts SeedOptions) error {
	hash, err := HashPassword(opts.Password)
	if err != nil {
		return err
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		var used string
		if err := tx.QueryRow(ctx, `SELECT concat_ws(', ',
				CASE WHEN EXISTS (SELECT 1 FROM members) THEN 'members' END,
				CASE WHEN EXISTS (SELECT 1 FROM categories) THEN 'categories' END,
				CASE WHEN EXISTS (SELECT 1 FROM threads) THEN 'threads' END,
				CASE WHEN to_regclass('stoa_seed') IS NOT NULL THEN 'a seed' END)`).Scan(&used); err != nil {
			return err
		}
		if used != "" {
			return fmt.Errorf("the database already holds %s; seed fills only an empty, migrated database: %w", used, ErrConflict)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE stoa_seed (
				singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
				options           jsonb NOT NULL,
				mac_check         bytea NOT NULL,
				phase             text NOT NULL CHECK (phase IN ('load', 'finish', 'done')),
				seeded_at         timestamptz NOT NULL,
				first_thread_id   bigint NOT NULL,
				first_post_id     bigint NOT NULL,
				bench_member_id   bigint NOT NULL,
				bench_category_id bigint NOT NULL,
				bench_thread_id   bigint NOT NULL,
				taken_off         jsonb,
				started_at        timestamptz NOT NULL DEFAULT now(),
				finished_at       timestamptz);
			CREATE TABLE stoa_seed_batches (
				batch     integer PRIMARY KEY,
				threads   integer NOT NULL,
				posts     bigint NOT NULL,
				loaded_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		now := time.Now().Truncate(time.Microsecond)
		start := now.Add(-time.Duration(opts.Years) * 365 * 24 * time.Hour)
		members, err := seedInsertMembers(ctx, tx, opts, hash, start)
		if err != nil {
			return fmt.Errorf("members: %w", err)
		}
		if err := seedInsertRemotes(ctx, tx, opts, start); err != nil {
			return fmt.Errorf("remote people: %w", err)
		}
		cats, err := seedInsertCategories(ctx, tx, start)
		if err != nil {
			return fmt.Errorf("categories: %w", err)
		}
		var firstThread, firstPost int64
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('threads', 'id')),
				nextval(pg_get_serial_sequence('posts', 'id'))`).Scan(&firstThread, &firstPost); err != nil {
			return err
		}
		bench := members[min(seedBenchRank, len(members)-1)]
		_, err = tx.Exec(ctx, `INSERT INTO stoa_seed (options, mac_check, phase, seeded_at, first_thread_id, first_post_id,
				bench_member_id, bench_category_id, bench_thread_id)
			VALUES ($1, $2, 'load', $3, $4, $5, $6, $7, $8)`,
			storedOptions(opts), f.secrets.macHTML("seed", 0, seedMACCheck), now, firstThread, firstPost,
			bench, cats[0], firstThread+int64(seedBenchThread(opts)))
		return err
	})
	if err != nil {
		return fmt.Errorf("seed setup: %w", err)
	}
	return nil
}

// seedBenchThread is the index of the bench thread: among the newest threads.
func seedBenchThread(opts SeedOptions) int { return opts.Threads - 1 - opts.Threads/50 }

// seedInsertMembers makes the members in activity order (ids ascending), the bench member at
// seedBenchRank, a few staff among the most active. All joined within a month before the forum's
// first thread. It returns their ids in order.
func seedInsertMembers(ctx context.Context, tx pgx.Tx, opts SeedOptions, hash string, start time.Time) ([]int64, error) {
	r := rand.New(rand.NewPCG(opts.RandSeed, 0x3e3b))
	text := seedText{r: r}
	n := opts.Members
	names, displays, roles, emails := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	joined := make([]time.Time, n)
	taken := map[string]bool{}
	for i := range n {
		u, d := text.person()
		if i == min(seedBenchRank, n-1) {
			u, d = SeedBenchUsername, "Bench Marker"
		}
		for k := 2; taken[u] || ValidateHandle("username", u) != nil; k++ {
			base, _ := text.person()
			u = base + strconv.Itoa(k+r.IntN(90))
		}
		taken[u] = true
		names[i], displays[i], emails[i] = u, d, u+"@members.example"
		roles[i] = string(RoleMember)
		switch {
		case i == 1:
			roles[i] = string(RoleAdmin)
		case i >= 2 && i <= 4:
			roles[i] = string(RoleModerator)
		}
		joined[i] = start.Add(-time.Duration(r.Float64() * float64(30*24*time.Hour))).Truncate(time.Microsecond)
	}
	rows, err := tx.Query(ctx, `INSERT INTO actors (kind, username, display_name, created_at, updated_at)
		SELECT 'person', u, d, j, j FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY AS x(u, d, j, ord)
		ORDER BY ord RETURNING id`, names, displays, joined)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO members (actor_id, email, password_hash, role, created_at)
		SELECT a.id, x.e, $3, x.r, a.created_at
		FROM unnest($1::text[], $2::text[], $4::text[]) AS x(u, e, r) JOIN actors a ON a.username = x.u AND a.domain IS NULL`,
		names, emails, hash, roles)
	if err != nil {
		return nil, err
	}
	// Ids were assigned in insertion order; sorted, they are the activity order whatever order
	// RETURNING gave them in.
	slices.Sort(ids)
	return ids, nil
}

// seedInsertRemotes makes the people from other servers who reply in seeded threads: four for
// every member, as a federated forum learns of many more people than sign up, most of whom write
// a few posts.
func seedInsertRemotes(ctx context.Context, tx pgx.Tx, opts SeedOptions, start time.Time) error {
	r := rand.New(rand.NewPCG(opts.RandSeed, 0x7e30))
	text := seedText{r: r}
	n := 4 * opts.Members
	names, displays, domains := make([]string, n), make([]string, n), make([]string, n)
	for i := range n {
		u, d := text.person()
		names[i], displays[i], domains[i] = u+strconv.Itoa(i), d, seedRemoteHosts[i%len(seedRemoteHosts)]
	}
	_, err := tx.Exec(ctx, `INSERT INTO actors (kind, username, domain, ap_id, url, inbox_url, shared_inbox_url, outbox_url,
			followers_url, following_url, display_name, fetched_at, created_at, updated_at)
		SELECT 'person', u, h, 'https://' || h || '/users/' || u, 'https://' || h || '/@' || u,
			'https://' || h || '/users/' || u || '/inbox', 'https://' || h || '/inbox', 'https://' || h || '/users/' || u || '/outbox',
			'https://' || h || '/users/' || u || '/followers', 'https://' || h || '/users/' || u || '/following', d, $4, $4, $4
		FROM unnest($1::text[], $2::text[], $3::text[]) AS x(u, d, h)`, names, displays, domains, start)
	return err
}

// seedInsertCategories makes the categories and their Group actors; it returns their ids in
// seedCategories order.
func seedInsertCategories(ctx context.Context, tx pgx.Tx, start time.Time) ([]int64, error) {
	ids := make([]int64, len(seedCategories))
	bySlug := map[string]int64{}
	for i, c := range seedCategories {
		var actorID int64
		if err := tx.QueryRow(ctx, `INSERT INTO actors (kind, username, display_name, summary_html, created_at, updated_at)
			VALUES ('group', $1, $2, $3, $4, $4) RETURNING id`, c.slug, c.title, escapeParagraphs(c.description), start).Scan(&actorID); err != nil {
			return nil, err
		}
		var parent *int64
		if c.parent != "" {
			p := bySlug[c.parent]
			parent = &p
		}
		if err := tx.QueryRow(ctx, `INSERT INTO categories (actor_id, parent_id, slug, title, description, position, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, actorID, parent, c.slug, c.title, c.description, i+1, start).Scan(&ids[i]); err != nil {
			return nil, err
		}
		bySlug[c.slug] = ids[i]
	}
	return ids, nil
}

// loadSeedPlan reads the fixed parts back and draws what the batches need.
func (f *Forum) loadSeedPlan(ctx context.Context, opts SeedOptions) (*seedPlan, error) {
	p := &seedPlan{opts: opts, benchThread: seedBenchThread(opts)}
	err := f.db.QueryRow(ctx, `SELECT seeded_at, first_thread_id, first_post_id, bench_member_id, bench_category_id
		FROM stoa_seed`).Scan(&p.now, &p.firstThreadID, &p.firstPostID, &p.benchMember, &p.benchCategory)
	if err != nil {
		return nil, fmt.Errorf("seed plan: %w", err)
	}
	rows, err := f.db.Query(ctx, `SELECT a.id, a.username FROM members m JOIN actors a ON a.id = m.actor_id ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("seed plan: %w", err)
	}
	for _, m := range mustCollect(&err, rows, pgx.RowToStructByPos[struct {
		ID       int64
		Username string
	}]) {
		p.members = append(p.members, m.ID)
		p.usernames = append(p.usernames, m.Username)
	}
	rows, err = f.db.Query(ctx, `SELECT id, ap_id FROM actors WHERE domain IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("seed plan: %w", err)
	}
	for _, a := range mustCollect(&err, rows, pgx.RowToStructByPos[struct {
		ID   int64
		APID string
	}]) {
		p.remotes = append(p.remotes, a.ID)
		p.remoteAPIDs = append(p.remoteAPIDs, a.APID)
	}
	rows, err = f.db.Query(ctx, `SELECT id, slug FROM categories ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("seed plan: %w", err)
	}
	weights := map[string]float64{}
	for _, c := range seedCategories {
		weights[c.slug] = c.weight
	}
	for _, c := range mustCollect(&err, rows, pgx.RowToStructByPos[struct {
		ID   int64
		Slug string
	}]) {
		p.categories = append(p.categories, seedCategory{id: c.ID, weight: weights[c.Slug]})
	}
	if err != nil {
		return nil, fmt.Errorf("seed plan: %w", err)
	}
	if len(p.members) != opts.Members || len(p.categories) != len(seedCategories) {
		return nil, fmt.Errorf("seed plan: found %d members and %d categories, the seed made %d and %d: %w",
			len(p.members), len(p.categories), opts.Members, len(seedCategories), ErrConflict)
	}
	p.planCounts()
	pieces := seedPieceCount(p.postOffsets[opts.Threads])
	p.pieces = newSeedPieces(f, opts.RandSeed, pieces, p.usernames[:min(len(p.usernames), 200)])
	if err := p.pieces.checkComposition(f, opts.RandSeed, min(2000, pieces)); err != nil {
		return nil, err
	}
	return p, nil
}

// mustCollect collects rows, keeping the first error in *err.
func mustCollect[T any](err *error, rows pgx.Rows, fn pgx.RowToFunc[T]) []T {
	out, e := pgx.CollectRows(rows, fn)
	if e != nil && *err == nil {
		*err = e
	}
	return out
}
