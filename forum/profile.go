package forum

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
)

// ProfileLink is one of a member's profile links, stored in members.links in the shape federation
// publishes as a PropertyValue attachment.
type ProfileLink struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Profile limits.
const (
	MaxProfileLinks = 4
	MaxBioLen       = 5000
	MaxLinkNameLen  = 40
	MaxLinkURLLen   = 500
	bioMACKind      = "member-bio"
)

// Profile is what a member's page shows about them.
type Profile struct {
	Member
	// BioHTML is the rendered bio, its MAC checked (re-rendered from source when it does not verify).
	BioHTML   string
	Links     []ProfileLink
	PostCount int64
}

type profileRow struct {
	Member
	Links      []ProfileLink `db:"links"`
	BioHTMLMAC []byte        `db:"bio_html_mac"`
	PostCount  int64         `db:"post_count"`
}

// ProfileInput is what the profile settings form sends.
type ProfileInput struct {
	DisplayName string
	Bio         string
	Links       []ProfileLink
}

// Profile loads a member's public profile by username. Deleted members are ErrNotFound.
func (f *Forum) Profile(ctx context.Context, username string) (Profile, error) {
	// members.post_count is kept by triggers (migration 0017): posts the pages show, in threads
	// they show.
	rows, err := f.db.Query(ctx, `SELECT `+memberColumns+`, m.links, m.bio_html_mac, m.post_count
		FROM members m JOIN actors a ON a.id = m.actor_id
		WHERE a.domain IS NULL AND a.username = $1 AND a.deleted_at IS NULL`, NormalizeHandle(username))
	if err != nil {
		return Profile{}, fmt.Errorf("profile %q: %w", username, err)
	}
	row, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[profileRow])
	if err != nil {
		return Profile{}, notFound(err, "member "+username)
	}
	p := Profile{Member: row.Member, BioHTML: row.SummaryHTML, Links: row.Links, PostCount: row.PostCount}
	if p.Links == nil {
		p.Links = []ProfileLink{}
	}
	if !(row.BioSource == "" && row.SummaryHTML == "") && !f.secrets.htmlOK(bioMACKind, row.ID, row.SummaryHTML, row.BioHTMLMAC) {
		p.BioHTML = f.renderMarkdown(row.BioSource)
		mac := f.secrets.macHTML(bioMACKind, row.ID, p.BioHTML)
		if err := f.inTx(ctx, func(tx pgx.Tx) error { return storeBio(ctx, tx, row.ID, p.BioHTML, mac) }); err != nil {
			return Profile{}, fmt.Errorf("profile %q: store re-rendered bio: %w", username, err)
		}
	}
	p.SummaryHTML = p.BioHTML
	return p, nil
}

func storeBio(ctx context.Context, tx pgx.Tx, memberID int64, html string, mac []byte) error {
	if _, err := tx.Exec(ctx, `UPDATE actors SET summary_html = $2 WHERE id = $1`, memberID, html); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE members SET bio_html_mac = $2 WHERE actor_id = $1`, memberID, mac)
	return err
}

// UpdateProfile sets a member's display name, bio and links. Members edit their own; admins may
// edit anyone's. The bio is rendered through the Markup hook and stored with its MAC in
// actors.summary_html, and an Update of the actor is recorded so followers' servers refresh it.
func (f *Forum) UpdateProfile(ctx context.Context, by Viewer, memberID int64, in ProfileInput) error {
	if err := canEditProfile(by, memberID); err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	if err := checkText("display_name", in.DisplayName); err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	in.DisplayName = cleanLine(in.DisplayName)
	in.Bio = strings.TrimSpace(in.Bio)
	v := &ValidationError{}
	if len([]rune(in.DisplayName)) > MaxDisplayNameLen {
		v.Add("display_name", "must be at most %d characters", MaxDisplayNameLen)
	}
	if len([]rune(in.Bio)) > MaxBioLen {
		v.Add("bio", "must be at most %d characters", MaxBioLen)
	}
	links := cleanLinks(v, in.Links)
	if err := v.Err(); err != nil {
		return err
	}
	html := f.renderMarkdown(in.Bio)
	mac := f.secrets.macHTML(bioMACKind, memberID, html)
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE members SET bio_source = $2, links = $3 WHERE actor_id = $1`, memberID, in.Bio, links)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("member %d: %w", memberID, ErrNotFound)
		}
		if _, err := tx.Exec(ctx, `UPDATE actors SET display_name = $2, updated_at = now() WHERE id = $1`, memberID, in.DisplayName); err != nil {
			return err
		}
		if err := storeBio(ctx, tx, memberID, html, mac); err != nil {
			return err
		}
		_, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbUpdate, ActorID: memberID, TargetActorID: &memberID})
		return err
	})
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	return nil
}

// cleanLinks validates profile links, dropping rows left entirely blank (a form shows four).
func cleanLinks(v *ValidationError, in []ProfileLink) []ProfileLink {
	out := []ProfileLink{}
	for i, l := range in {
		l.Name = cleanLine(l.Name)
		l.Value = strings.TrimSpace(l.Value)
		if l.Name == "" && l.Value == "" {
			continue
		}
		// A link's name and address are told apart, so the form marks the field that is wrong.
		name, address := fmt.Sprintf("links[%d].name", i), fmt.Sprintf("links[%d].url", i)
		switch {
		case l.Name == "":
			v.Add(name, "needs a name")
		case len([]rune(l.Name)) > MaxLinkNameLen:
			v.Add(name, "must be at most %d characters", MaxLinkNameLen)
		}
		if !validProfileURL(l.Value) {
			v.Add(address, "must be an http:// or https:// address of at most %d characters", MaxLinkURLLen)
		}
		out = append(out, l)
	}
	if len(out) > MaxProfileLinks {
		v.Add("links", "at most %d links", MaxProfileLinks)
	}
	return out
}

func validProfileURL(s string) bool {
	if s == "" || len(s) > MaxLinkURLLen || strings.ContainsAny(s, " \t\r\n\\<>\"") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// isInvisibleOrControl reports control characters, Unicode format characters (bidirectional
// overrides, zero-width spaces) and non-characters (U+FFFE, U+FDD0...), except the zero-width
// joiner that emoji sequences need.
// hasVisibleText reports whether s has a character that shows: a body of zero-width spaces is as
// empty as one of blanks.
func hasVisibleText(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !isInvisibleOrControl(r) && r != '\u200d' {
			return true
		}
	}
	return false
}

func isInvisibleOrControl(r rune) bool {
	if r == '\u200d' {
		return false
	}
	nonCharacter := r >= 0xFDD0 && r <= 0xFDEF || r&0xFFFE == 0xFFFE
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || nonCharacter
}

// PostCountFor is how many of a member's posts v may see. The stored count is every post the
// pages show, in whatever category; when some category is hidden from v, its posts are counted
// out, so that a private category's activity does not show in the number (the member page's lists
// leave those posts out too). That costs a count over the member's posts in those categories,
// only for viewers who do not see everything.
func (f *Forum) PostCountFor(ctx context.Context, v Viewer, p Profile) (int64, error) {
	s, err := f.perms.snapshot(ctx, f)
	if err != nil {
		return 0, err
	}
	visible, err := f.VisibleCategoryIDs(ctx, v)
	if err != nil {
		return 0, err
	}
	seen := make(map[int64]bool, len(visible))
	for _, id := range visible {
		seen[id] = true
	}
	var hidden []int64
	for id := range s.defs.byID {
		if !seen[id] {
			hidden = append(hidden, id)
		}
	}
	if len(hidden) == 0 {
		return p.PostCount, nil
	}
	var n int64
	err = f.db.QueryRow(ctx, `SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id
		WHERE p.author_id = $1 AND t.category_id = ANY($2) AND p.deleted_at IS NULL AND p.hidden_at IS NULL
		  AND t.deleted_at IS NULL AND t.hidden_at IS NULL`, p.ID, hidden).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("posts of member %d: %w", p.ID, err)
	}
	return max(p.PostCount-n, 0), nil
}
