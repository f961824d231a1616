package forum

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Moderation of one account on another server, when blocking its whole server would be too much:
// silence it (out of lists, shown only to members who follow it), suspend it (hidden, follows
// severed, nothing delivered to it), or remove its posts from local threads (hidden, the account
// otherwise left alone). Each is a column of actors; migration 0080's trigger does the hiding, so
// each is undone by clearing the column: nothing is deleted, and an unsuspension restores the
// follows the suspension severed (the peer was never told, so both sides agree again).
//
// Each action closes the open reports about the account and is written to the moderation log.

// RemoteAccountAction is what staff do to a remote account.
type RemoteAccountAction string

const (
	SilenceAccount      RemoteAccountAction = "silence"
	UnsilenceAccount    RemoteAccountAction = "unsilence"
	SuspendAccount      RemoteAccountAction = "suspend"
	UnsuspendAccount    RemoteAccountAction = "unsuspend"
	RemoveAccountPosts  RemoteAccountAction = "remove_posts"
	RestoreAccountPosts RemoteAccountAction = "restore_posts"
)

// remoteAccountColumn is the column each action sets (or clears) and whether it sets it.
var remoteAccountColumn = map[RemoteAccountAction]struct {
	column string
	set    bool
}{
	SilenceAccount: {"silenced_at", true}, UnsilenceAccount: {"silenced_at", false},
	SuspendAccount: {"suspended_at", true}, UnsuspendAccount: {"suspended_at", false},
	RemoveAccountPosts: {"posts_removed_at", true}, RestoreAccountPosts: {"posts_removed_at", false},
}

// ParseRemoteAccountAction accepts the action names.
func ParseRemoteAccountAction(s string) (RemoteAccountAction, error) {
	a := RemoteAccountAction(s)
	if _, ok := remoteAccountColumn[a]; !ok {
		return "", Invalid("action", "must be silence, unsilence, suspend, unsuspend, remove_posts or restore_posts")
	}
	return a, nil
}

// ModerateRemoteAccount applies an action to a remote account. Doing what is already done changes
// nothing (no log line). Staff only.
func (f *Forum) ModerateRemoteAccount(ctx context.Context, by Viewer, actorID int64, action RemoteAccountAction, reason string) error {
	if !by.IsStaff() {
		return fmt.Errorf("moderate account: %w", ErrForbidden)
	}
	col, ok := remoteAccountColumn[action]
	if !ok {
		return Invalid("action", "must be silence, unsilence, suspend, unsuspend, remove_posts or restore_posts")
	}
	reason = strings.TrimSpace(reason)
	if len([]rune(reason)) > MaxBanReasonLen {
		return Invalid("reason", "must be at most %d characters", MaxBanReasonLen)
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		a, err := f.queryActor(ctx, tx, "a.id = $1 FOR UPDATE", actorID)
		if err != nil {
			return notFound(err, fmt.Sprintf("account %d", actorID))
		}
		if a.Local() {
			return Invalid("account", "members of this forum are banned, not silenced or suspended")
		}
		// The column names come from remoteAccountColumn, never from input.
		ct, err := tx.Exec(ctx, `UPDATE actors SET `+col.column+` = CASE WHEN $2 THEN now() END, updated_at = now()
			WHERE id = $1 AND (`+col.column+` IS NOT NULL) <> $2`, actorID, col.set)
		if err != nil {
			return err
		}
		if ct.RowsAffected() == 0 {
			return nil
		}
		if col.set {
			if err := f.insertJob(ctx, tx, ThreadListsVacuumArgs{}); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE reports SET status = 'resolved', resolution = $2, resolved_by = $3,
					resolved_at = now() WHERE status = 'open' AND target_actor_id = $1`,
				actorID, string(action)+"_account", nullActor(by)); err != nil {
				return err
			}
		}
		return f.logModeration(ctx, tx, by, ModerationEntry{Action: string(action) + "_account", TargetActorID: &actorID,
			Domain: a.Domain, Reason: reason})
	})
	if err != nil {
		return fmt.Errorf("%s account %d: %w", action, actorID, err)
	}
	return nil
}

func nullActor(v Viewer) *int64 {
	if v.ActorID > 0 {
		return &v.ActorID
	}
	return nil
}

// RemoteAccount is a remote account as the moderation page shows it.
type RemoteAccount struct {
	Actor
	// Verdict is what its server's rules do to it.
	Verdict DomainVerdict `db:"-"`
	// Posts and Threads here, the local members who follow it and the local actors it follows,
	// follows an earlier suspension severed, and its open reports.
	Posts          int `db:"posts"`
	Threads        int `db:"threads"`
	LocalFollowers int `db:"local_followers"`
	Following      int `db:"following"`
	SeveredFollows int `db:"severed_follows"`
	OpenReports    int `db:"open_reports"`
}

// Silenced, Suspended and PostsRemoved report the account's own moderation.
func (a RemoteAccount) Silenced() bool     { return a.SilencedAt != nil }
func (a RemoteAccount) Suspended() bool    { return a.SuspendedAt != nil }
func (a RemoteAccount) PostsRemoved() bool { return a.PostsRemovedAt != nil }

// RemoteAccountByID loads a remote account for the moderation page. Staff only.
func (f *Forum) RemoteAccountByID(ctx context.Context, by Viewer, actorID int64) (RemoteAccount, error) {
	if !by.IsStaff() {
		return RemoteAccount{}, fmt.Errorf("remote account: %w", ErrForbidden)
	}
	rows, err := f.db.Query(ctx, `SELECT `+actorColumns+`,
			(SELECT count(*) FROM posts p WHERE p.author_id = a.id AND p.deleted_at IS NULL)::int AS posts,
			(SELECT count(*) FROM threads t WHERE t.author_id = a.id AND t.deleted_at IS NULL)::int AS threads,
			(SELECT count(*) FROM follows fo WHERE fo.target_id = a.id)::int AS local_followers,
			(SELECT count(*) FROM follows fo WHERE fo.follower_id = a.id)::int AS following,
			(SELECT count(*) FROM severed_follows s WHERE a.id IN (s.follower_id, s.target_id))::int AS severed_follows,
			(SELECT count(*) FROM reports r WHERE r.target_actor_id = a.id AND r.status = 'open')::int AS open_reports
		FROM actors a WHERE a.id = $1 AND a.domain IS NOT NULL`, actorID)
	if err != nil {
		return RemoteAccount{}, fmt.Errorf("remote account %d: %w", actorID, err)
	}
	acc, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[RemoteAccount])
	if err != nil {
		return RemoteAccount{}, notFound(err, fmt.Sprintf("remote account %d", actorID))
	}
	if acc.Verdict, err = f.DomainVerdict(ctx, acc.Domain); err != nil {
		return RemoteAccount{}, err
	}
	return acc, nil
}

// ModeratedAccount is a remote account with moderation of its own, as the list shows it.
type ModeratedAccount struct {
	ID             int64      `db:"id"`
	Username       string     `db:"username"`
	Domain         string     `db:"domain"`
	DisplayName    string     `db:"display_name"`
	SilencedAt     *time.Time `db:"silenced_at"`
	SuspendedAt    *time.Time `db:"suspended_at"`
	PostsRemovedAt *time.Time `db:"posts_removed_at"`
}

// Handle is username@domain.
func (m ModeratedAccount) Handle() string { return m.Username + "@" + m.Domain }

// ModeratedAccounts lists remote accounts silenced, suspended or with posts removed (not those
// limited only by their domain's rules), newest id first, before a cursor (0: the start). Staff
// only.
func (f *Forum) ModeratedAccounts(ctx context.Context, by Viewer, before int64, limit int) ([]ModeratedAccount, error) {
	if !by.IsStaff() {
		return nil, fmt.Errorf("moderated accounts: %w", ErrForbidden)
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := f.db.Query(ctx, `SELECT id, username, domain, display_name, silenced_at, suspended_at, posts_removed_at
		FROM actors WHERE suppression > 0 AND domain IS NOT NULL AND id < $1
			AND (silenced_at IS NOT NULL OR suspended_at IS NOT NULL OR posts_removed_at IS NOT NULL)
		ORDER BY id DESC LIMIT $2`, pageBefore(before), limit)
	if err != nil {
		return nil, fmt.Errorf("moderated accounts: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[ModeratedAccount])
	if err != nil {
		return nil, fmt.Errorf("moderated accounts: %w", err)
	}
	return list, nil
}

// ErrAlreadyForwarded means the report was sent on already.
var ErrAlreadyForwarded = fmt.Errorf("the report was already forwarded: %w", ErrConflict)

// ForwardReport sends a report about a remote account on to its server, as a Flag from the
// instance actor (Mastodon's shape: object = the account and the reported posts; the reporter is
// not named). comment replaces the report's own rule and reason as the Flag's content when given.
// The outbox builds and delivers the Flag. Staff only.
func (f *Forum) ForwardReport(ctx context.Context, by Viewer, reportID int64, comment string) error {
	if !by.IsStaff() {
		return fmt.Errorf("forward report: %w", ErrForbidden)
	}
	comment = strings.TrimSpace(comment)
	if len([]rune(comment)) > MaxReportReasonLen {
		return Invalid("comment", "must be at most %d characters", MaxReportReasonLen)
	}
	instance, err := f.InstanceActor(ctx)
	if err != nil {
		return err
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		var target int64
		var domain, rule, reason, apID string
		var forwarded *time.Time
		err := tx.QueryRow(ctx, `SELECT r.target_actor_id, coalesce(a.domain, ''), r.rule, r.reason, coalesce(r.ap_id, ''),
				r.forwarded_at
			FROM reports r JOIN actors a ON a.id = r.target_actor_id WHERE r.id = $1 FOR UPDATE OF r`, reportID).
			Scan(&target, &domain, &rule, &reason, &apID, &forwarded)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("report %d: %w", reportID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		switch {
		case forwarded != nil:
			return ErrAlreadyForwarded
		case domain == "":
			return Invalid("report", "the account is a member here: there is no other server to tell")
		case apID != "":
			return Invalid("report", "this report came from another server; only reports made here are forwarded")
		}
		rules, err := f.domains.get(ctx, f)
		if err != nil {
			return err
		}
		if rules.verdict(domain).Blocked() {
			return Invalid("report", "%s is blocked: nothing can be delivered there", domain)
		}
		if comment == "" {
			comment = strings.TrimSpace(strings.TrimPrefix(rule+": "+reason, ": "))
			comment = strings.TrimSuffix(comment, ":")
		}
		rows, err := tx.Query(ctx, `SELECT p.ap_id FROM report_posts rp JOIN posts p ON p.id = rp.post_id
			WHERE rp.report_id = $1 AND p.author_id = $2 AND p.ap_id IS NOT NULL ORDER BY p.id`, reportID, target)
		if err != nil {
			return err
		}
		objects, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if _, err := f.recordActivity(ctx, tx, NewActivity{Verb: VerbFlag, ActorID: instance.ID, TargetActorID: &target,
			Details: map[string]any{"comment": comment, "objects": objects, "report": reportID}}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE reports SET forwarded_at = now() WHERE id = $1`, reportID); err != nil {
			return err
		}
		return f.logModeration(ctx, tx, by, ModerationEntry{Action: "forward_report", TargetActorID: &target, Domain: domain,
			Reason: comment, Details: modDetails(map[string]any{"report": reportID, "posts": len(objects)})})
	})
	if err != nil {
		return fmt.Errorf("forward report %d: %w", reportID, err)
	}
	return nil
}
