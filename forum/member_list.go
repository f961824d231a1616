package forum

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// MemberListQuery selects a page of the admin members list.
type MemberListQuery struct {
	// Prefix filters by username prefix, listed alphabetically; empty lists everyone, newest first.
	Prefix string
	// After is the Next cursor of the previous page; empty for the first page.
	After string
	Limit int
}

// MemberListEntry is one row of the admin members list.
type MemberListEntry struct {
	ID            int64      `db:"id"`
	Username      string     `db:"username"`
	DisplayName   string     `db:"display_name"`
	Email         string     `db:"email"` // empty unless the viewer is an admin
	Role          Role       `db:"role"`
	JoinedAt      time.Time  `db:"joined_at"`
	LastSeenAt    *time.Time `db:"last_seen_at"`
	BannedUntil   *time.Time `db:"banned_until"`
	BannedForever bool       `db:"banned_forever"`
	BanReason     string     `db:"ban_reason"`
	Banned        bool       `db:"banned"`
	PostCount     int64      `db:"post_count"`
}

// MemberListPage is a page of members and the cursor of the next one ("" on the last page).
type MemberListPage struct {
	Members []MemberListEntry
	Next    string
}

// Member list page sizes.
const (
	DefaultMemberListLimit = 50
	MaxMemberListLimit     = 200
)

// memberListColumns reads one member row for the list (aliases: a actors, m members).
const memberListColumns = `a.id, a.username, a.display_name, m.email, m.role, m.created_at AS joined_at,
	m.last_seen_at, ` + banColumns + `, m.post_count`

// ListMembers pages through local members for the admin area. Staff only; e-mail addresses are
// shown to admins only. Keyset pagination: by id (registration order) without a prefix, by
// username with one; each query picks the page's ids first and joins afterwards.
func (f *Forum) ListMembers(ctx context.Context, by Viewer, q MemberListQuery) (MemberListPage, error) {
	if !by.IsStaff() {
		return MemberListPage{}, fmt.Errorf("list members: %w", ErrForbidden)
	}
	if q.Limit <= 0 || q.Limit > MaxMemberListLimit {
		q.Limit = DefaultMemberListLimit
	}
	prefix := NormalizeHandle(q.Prefix)
	for _, r := range prefix {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return MemberListPage{}, Invalid("q", "usernames contain only a-z, 0-9 and _")
		}
	}
	var rows pgx.Rows
	var err error
	if prefix == "" {
		var after int64
		if q.After != "" {
			if after, err = strconv.ParseInt(q.After, 10, 64); err != nil || after <= 0 {
				return MemberListPage{}, Invalid("after", "is not a valid cursor")
			}
		}
		rows, err = f.db.Query(ctx, `SELECT `+memberListColumns+`
			FROM (SELECT actor_id FROM members WHERE actor_id < $1 ORDER BY actor_id DESC LIMIT $2) pick
			JOIN members m ON m.actor_id = pick.actor_id
			JOIN actors a ON a.id = pick.actor_id
			ORDER BY a.id DESC`, pageBefore(after), q.Limit+1)
	} else {
		// ~>~ and USING ~<~ are the byte-order operators the text_pattern_ops index serves (0016).
		like := strings.ReplaceAll(prefix, "_", `\_`) + "%"
		rows, err = f.db.Query(ctx, `SELECT `+memberListColumns+`
			FROM (SELECT a.id FROM actors a JOIN members mm ON mm.actor_id = a.id
			      WHERE a.domain IS NULL AND a.username LIKE $1 AND a.username ~>~ $2
			      ORDER BY a.username USING ~<~ LIMIT $3) pick
			JOIN members m ON m.actor_id = pick.id
			JOIN actors a ON a.id = pick.id
			ORDER BY a.username USING ~<~`, like, q.After, q.Limit+1)
	}
	if err != nil {
		return MemberListPage{}, fmt.Errorf("list members: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[MemberListEntry])
	if err != nil {
		return MemberListPage{}, fmt.Errorf("list members: %w", err)
	}
	var page MemberListPage
	if len(list) > q.Limit {
		list = list[:q.Limit]
		last := list[len(list)-1]
		if prefix == "" {
			page.Next = strconv.FormatInt(last.ID, 10)
		} else {
			page.Next = last.Username
		}
	}
	if !by.IsAdmin() {
		for i := range list {
			list[i].Email = ""
		}
	}
	page.Members = list
	return page, nil
}

// MemberCounts are the overview figures of the admin area.
type MemberCounts struct {
	Members     int64 `db:"members"`
	Banned      int64 `db:"banned"`
	Staff       int64 `db:"staff"`
	NewThisWeek int64 `db:"new_this_week"`
	ActiveToday int64 `db:"active_today"`
}

// CountMembersByState returns the admin overview's member figures. Staff only.
func (f *Forum) CountMembersByState(ctx context.Context, by Viewer) (MemberCounts, error) {
	if !by.IsStaff() {
		return MemberCounts{}, fmt.Errorf("member counts: %w", ErrForbidden)
	}
	rows, err := f.db.Query(ctx, `SELECT count(*) AS members,
			count(*) FILTER (WHERE banned_until > now()) AS banned,
			count(*) FILTER (WHERE role <> 'member') AS staff,
			count(*) FILTER (WHERE created_at > now() - interval '7 days') AS new_this_week,
			count(*) FILTER (WHERE last_seen_at > now() - interval '1 day') AS active_today
		FROM members`)
	if err != nil {
		return MemberCounts{}, fmt.Errorf("member counts: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[MemberCounts])
	if err != nil {
		return MemberCounts{}, fmt.Errorf("member counts: %w", err)
	}
	return c, nil
}
