package forum

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
)

// What a limit (threads.suppressed, posts.suppressed: domain_rule.go) means to one viewer. Lists
// leave every suppressed thread out in SQL (their indexes do); these are the rules for pages that
// show one thread or a page of its posts:
//
//   - staff see everything, marked (they review reports and judge blocks);
//   - a silenced author's (or category's) content is shown to members who follow that author (or
//     that category), as Mastodon shows a limited account's posts to its followers;
//   - everyone else gets a placeholder where a post was, with the author withheld too, and a
//     suppressed thread answers "not found".

// suppressedThreadVisible applies the limit of a thread that has one. q is the pool or the
// transaction the thread was read in.
func (f *Forum) suppressedThreadVisible(ctx context.Context, q querier, v Viewer, p Permission, t Thread, categoryActorID int64) error {
	if t.Suppressed == LimitNone || p.Moderate || (v.SignedIn() && t.AuthorID == v.ActorID) {
		return nil
	}
	if t.Suppressed == LimitSilence && v.SignedIn() {
		var follows bool
		err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND state = 'accepted'
			AND target_id IN ($2, $3))`, v.ActorID, t.AuthorID, categoryActorID).Scan(&follows)
		if err != nil {
			return fmt.Errorf("thread %d: %w", t.ID, err)
		}
		if follows {
			return nil
		}
	}
	return fmt.Errorf("thread %d: %w", t.ID, ErrNotFound)
}

// withholdSuppressed redacts the posts v may not read because of their author's limit.
func (f *Forum) withholdSuppressed(ctx context.Context, v Viewer, perm Permission, posts []Post) error {
	if perm.Moderate {
		return nil
	}
	var silenced []int64
	for _, p := range posts {
		if p.Suppressed == LimitSilence && !p.Redacted {
			silenced = append(silenced, p.AuthorID)
		}
	}
	followed := map[int64]bool{}
	if len(silenced) > 0 && v.SignedIn() {
		rows, err := f.db.Query(ctx, `SELECT target_id FROM follows WHERE follower_id = $1 AND state = 'accepted'
			AND target_id = ANY($2)`, v.ActorID, silenced)
		if err != nil {
			return fmt.Errorf("followed authors: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("followed authors: %w", err)
		}
		for _, id := range ids {
			followed[id] = true
		}
	}
	for i := range posts {
		p := &posts[i]
		if p.Suppressed == LimitNone || (p.Suppressed == LimitSilence && followed[p.AuthorID]) {
			continue
		}
		p.Redacted, p.Withheld = true, p.Suppressed
		p.HTML, p.Source, p.HTMLMAC, p.Summary = "", "", nil, ""
		p.Author = Author{AuthorWithheld: true}
	}
	return nil
}

// imgTag matches an image in sanitised HTML (bluemonday escapes '>' inside attribute values).
var imgTag = regexp.MustCompile(`(?i)<img\b[^>]*>`)

// rejectMedia drops the images (and the author's avatar) of posts from domains whose media is
// rejected: remote images are loaded from their origin by readers' browsers, which is exactly
// what reject_media is there to stop.
func (f *Forum) rejectMedia(ctx context.Context, posts []Post) error {
	var rules *domainRuleSet
	for i := range posts {
		p := &posts[i]
		if p.AuthorDomain == "" || p.Redacted {
			continue
		}
		if rules == nil {
			var err error
			if rules, err = f.domains.get(ctx, f); err != nil {
				return fmt.Errorf("domain rules: %w", err)
			}
		}
		if rules.verdict(p.AuthorDomain).RejectMedia {
			p.HTML = imgTag.ReplaceAllString(p.HTML, "")
			p.AuthorAvatarURL = ""
		}
	}
	return nil
}
