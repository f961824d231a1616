package forum

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReportAction is what staff do about an open report. Each closes the report and is written to
// the moderation log, in one transaction with the action itself.
type ReportAction string

const (
	// DismissReport closes the report with no action.
	DismissReport ReportAction = "dismiss"
	// HideReportedPosts hides the reported posts (reversible, not federated).
	HideReportedPosts ReportAction = "hide_post"
	// DeleteReportedPosts deletes the reported posts (federated as Delete).
	DeleteReportedPosts ReportAction = "delete_post"
	// BanReportedMember bans the reported account, a member here.
	BanReportedMember ReportAction = "ban_member"
)

// ParseReportAction accepts the action names.
func ParseReportAction(s string) (ReportAction, error) {
	switch a := ReportAction(s); a {
	case DismissReport, HideReportedPosts, DeleteReportedPosts, BanReportedMember:
		return a, nil
	}
	return "", Invalid("action", "must be dismiss, hide_post, delete_post or ban_member")
}

// ReportResolution is the input to ResolveReport. BanUntil is the end of a ban (nil: permanent).
type ReportResolution struct {
	Action   ReportAction
	BanUntil *time.Time
}

// ErrReportClosed means someone else dealt with the report first.
var ErrReportClosed = fmt.Errorf("the report was already closed: %w", ErrConflict)

// ResolveReport acts on an open report and closes it. Acting on its posts also closes the other open
// reports about those posts, and banning also closes the other open reports about the account, so
// the queue does not ask twice about what was dealt with. Staff only.
func (f *Forum) ResolveReport(ctx context.Context, by Viewer, reportID int64, res ReportResolution) error {
	if !by.IsStaff() {
		return fmt.Errorf("resolve report: %w", ErrForbidden)
	}
	if _, err := ParseReportAction(string(res.Action)); err != nil {
		return err
	}
	if res.Action == BanReportedMember && res.BanUntil != nil && !res.BanUntil.After(time.Now()) {
		return Invalid("until", "must be in the future")
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		r, posts, err := lockOpenReport(ctx, tx, reportID)
		if err != nil {
			return err
		}
		reason := reportLogReason(reportID, r)
		status := ReportResolved
		switch res.Action {
		case DismissReport:
			status = ReportDismissed
			target := r.TargetActorID
			if err := f.logModeration(ctx, tx, by, ModerationEntry{Action: "dismiss_report", TargetActorID: &target,
				Reason: reason, Details: modDetails(map[string]any{"report": reportID})}); err != nil {
				return err
			}
		case HideReportedPosts, DeleteReportedPosts:
			if len(posts) == 0 {
				return Invalid("action", "this report names no post; dismiss it or ban the account")
			}
			for _, postID := range posts {
				if err := f.actOnReportedPost(ctx, tx, by, postID, res.Action, reason); err != nil {
					return err
				}
			}
		case BanReportedMember:
			if !r.TargetMember {
				return Invalid("action", "only members of this forum can be banned here; hide or delete the posts instead")
			}
			details := map[string]any{"until": "permanent", "report": reportID}
			if res.BanUntil != nil {
				details["until"] = res.BanUntil.UTC().Format(time.RFC3339)
			}
			if by.ActorID == r.TargetActorID {
				return Invalid("action", "you cannot ban yourself")
			}
			if err := f.banMemberTx(ctx, tx, by, r.TargetActorID, res.BanUntil, reason, details); err != nil {
				return err
			}
		}
		return closeReports(ctx, tx, by, reportID, status, res.Action, posts, r.TargetActorID)
	})
	if err != nil {
		return fmt.Errorf("resolve report %d: %w", reportID, err)
	}
	return nil
}

// lockedReport is what resolving a report needs of it.
type lockedReport struct {
	TargetActorID int64  `db:"target_actor_id"`
	Rule          string `db:"rule"`
	Reason        string `db:"reason"`
	TargetMember  bool   `db:"target_member"`
}

func lockOpenReport(ctx context.Context, tx pgx.Tx, id int64) (lockedReport, []int64, error) {
	var status ReportStatus
	var r lockedReport
	err := tx.QueryRow(ctx, `SELECT r.status, r.target_actor_id, r.rule, r.reason,
			EXISTS (SELECT 1 FROM members m WHERE m.actor_id = r.target_actor_id)
		FROM reports r WHERE r.id = $1 FOR UPDATE`, id).Scan(&status, &r.TargetActorID, &r.Rule, &r.Reason, &r.TargetMember)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, nil, fmt.Errorf("report %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, nil, err
	}
	if status != ReportOpen {
		return r, nil, ErrReportClosed
	}
	rows, err := tx.Query(ctx, `SELECT post_id FROM report_posts WHERE report_id = $1 ORDER BY post_id`, id)
	if err != nil {
		return r, nil, err
	}
	posts, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return r, posts, err
}

// actOnReportedPost hides or deletes one reported post, as its thread's moderator.
func (f *Forum) actOnReportedPost(ctx context.Context, tx pgx.Tx, by Viewer, postID int64, action ReportAction, reason string) error {
	if action == DeleteReportedPosts {
		return f.deletePostTx(ctx, tx, by, postID, reason)
	}
	var threadID int64
	if err := tx.QueryRow(ctx, `SELECT thread_id FROM posts WHERE id = $1`, postID).Scan(&threadID); err != nil {
		return notFound(err, fmt.Sprintf("post %d", postID))
	}
	return f.moderateThreadTx(ctx, tx, by, threadID, func(m moderation) error {
		return f.hidePostIn(ctx, m, postID, true, reason)
	})
}

// closeReports closes the report and the other open reports the action settled.
func closeReports(ctx context.Context, tx pgx.Tx, by Viewer, id int64, status ReportStatus, action ReportAction, posts []int64, target int64) error {
	var resolver *int64
	if by.ActorID > 0 {
		resolver = &by.ActorID
	}
	_, err := tx.Exec(ctx, `UPDATE reports SET status = $2, resolution = $3, resolved_by = $4, resolved_at = now()
		WHERE id = $1
			OR (status = 'open' AND $3 IN ('hide_post', 'delete_post')
				AND id IN (SELECT report_id FROM report_posts WHERE post_id = ANY($5::bigint[])))
			OR (status = 'open' AND $3 = 'ban_member' AND target_actor_id = $6)`,
		id, status, action, resolver, posts, target)
	if err != nil {
		return fmt.Errorf("close report %d: %w", id, err)
	}
	return nil
}

// closePostReports resolves the open reports about a post that staff deleted or hid from the
// thread page rather than from the queue: the queue does not ask about what was dealt with, and
// each report names who settled it and how.
func closePostReports(ctx context.Context, tx pgx.Tx, by Viewer, postID int64, action ReportAction) error {
	_, err := tx.Exec(ctx, `UPDATE reports SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_at = now()
		WHERE status = 'open' AND id IN (SELECT report_id FROM report_posts WHERE post_id = $1)`, postID, action, by.ActorID)
	if err != nil {
		return fmt.Errorf("close the reports of post %d: %w", postID, err)
	}
	return nil
}

// reportLogReason is the reason the moderation log records for an action taken on a report.
func reportLogReason(id int64, r lockedReport) string {
	parts := []string{"report #" + strconv.FormatInt(id, 10)}
	if r.Rule != "" {
		parts = append(parts, r.Rule)
	}
	if r.Reason != "" {
		parts = append(parts, r.Reason)
	}
	s := []rune(strings.Join(parts, ": "))
	if len(s) > MaxBanReasonLen {
		s = s[:MaxBanReasonLen]
	}
	return string(s)
}
