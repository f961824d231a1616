package forum

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reports: members report a post or an account (here or on another server) to staff, naming the
// rule broken and why; staff work through the open ones in the moderation queue
// (report_action.go). Other servers' reports (ActivityPub Flags) enter the same queue through
// FileRemoteReport.

// Report limits.
const (
	MaxReportReasonLen = 1000
	ReportsPerPage     = 25
)

// reportsPerMember bounds the reports one member files: enough for someone cleaning up after a
// spammer, too few to bury the queue.
var reportsPerMember = rateLimit{"report-member", time.Hour, 20}

// NewReport is what the report form sends: a post (PostID) or an account (Account, a handle:
// username or user@domain).
type NewReport struct {
	PostID  int64
	Account string
	// Rule is one of SiteSettings.ReportRules, or "" for something the rules do not name.
	Rule   string
	Reason string
}

// ReportStatus is where a report stands.
type ReportStatus string

const (
	ReportOpen      ReportStatus = "open"
	ReportResolved  ReportStatus = "resolved"
	ReportDismissed ReportStatus = "dismissed"
)

// FileReport files v's report and returns its id. Reporting what one already reported, while that
// report is open, files nothing new and returns the open report.
func (f *Forum) FileReport(ctx context.Context, by Viewer, in NewReport) (int64, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	in.Rule = strings.TrimSpace(in.Rule)
	settings, err := f.SiteSettings(ctx)
	if err != nil {
		return 0, err
	}
	v := &ValidationError{}
	if in.Rule != "" && !slices.Contains(settings.ReportRules, in.Rule) {
		v.Add("rule", "choose one of the forum's rules, or describe the problem")
	}
	if in.Rule == "" && in.Reason == "" {
		v.Add("reason", "say what is wrong, or choose the rule broken")
	}
	if n := len([]rune(in.Reason)); n > MaxReportReasonLen {
		v.Add("reason", "must be at most %d characters (it has %d)", MaxReportReasonLen, n)
	}
	if (in.PostID == 0) == (in.Account == "") {
		v.Add("report", "report either a post or an account")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	if !by.SignedIn() {
		return 0, fmt.Errorf("report: %w", ErrUnauthorized)
	}
	target, posts, err := f.reportTarget(ctx, by, in)
	if err != nil {
		return 0, err
	}
	key := strconv.FormatInt(by.ActorID, 10)
	var id int64
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		actor, err := actingMember(ctx, tx, by)
		if err != nil {
			return err
		}
		// Counted first, in the transaction: a member's reports at once wait for each other's
		// count. A report that only repeats an open one is given back below.
		if limited, err := reportsPerMember.take(ctx, tx, key); err != nil {
			return err
		} else if limited {
			return ErrRateLimited
		}
		err = tx.QueryRow(ctx, `SELECT r.id FROM reports r
			WHERE r.reporter_id = $1 AND r.target_actor_id = $2 AND r.status = 'open'
				AND (SELECT array_agg(rp.post_id ORDER BY rp.post_id) FROM report_posts rp WHERE rp.report_id = r.id)
					IS NOT DISTINCT FROM $3::bigint[]
			ORDER BY r.id DESC LIMIT 1`, actor.ActorID, target, posts).Scan(&id)
		if err == nil {
			return reportsPerMember.giveBack(ctx, tx, key)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO reports (reporter_id, target_actor_id, rule, reason) VALUES ($1, $2, $3, $4)
			RETURNING id`, actor.ActorID, target, in.Rule, in.Reason).Scan(&id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO report_posts (report_id, post_id) SELECT $1, unnest($2::bigint[])`, id, posts)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("report: %w", err)
	}
	return id, nil
}

// reportTarget resolves what a report names: the account, and the post (nil for an account
// report). A member may report only what they can read, and not themselves.
func (f *Forum) reportTarget(ctx context.Context, by Viewer, in NewReport) (int64, []int64, error) {
	if in.PostID != 0 {
		p, err := f.PostByID(ctx, by, in.PostID)
		if err != nil {
			return 0, nil, err
		}
		if p.Redacted {
			return 0, nil, fmt.Errorf("report post %d: %w", in.PostID, ErrGone)
		}
		if p.AuthorID == by.ActorID {
			return 0, nil, Invalid("report", "you cannot report your own post")
		}
		return p.AuthorID, []int64{p.ID}, nil
	}
	id, err := f.actorIDByHandle(ctx, in.Account)
	if err != nil {
		return 0, nil, err
	}
	if id == by.ActorID {
		return 0, nil, Invalid("report", "you cannot report yourself")
	}
	return id, nil, nil
}

// RemoteReport is a report from another server (an ActivityPub Flag), its actors and posts already
// resolved by the inbox: the reporter is the remote person or instance actor that sent it.
type RemoteReport struct {
	APID          string
	ReporterID    int64
	TargetActorID int64
	PostIDs       []int64
	Reason        string
}

// FileRemoteReport puts a Flag in the moderation queue. A Flag already filed (same APID) files
// nothing and returns the existing report with created false. Only posts by the reported account
// are attached: a Flag cannot drag someone else's post into a report. A deleted or suspended
// reporter files nothing (ErrGone, ErrForbidden): suspending an account also ends its reports.
func (f *Forum) FileRemoteReport(ctx context.Context, in RemoteReport) (id int64, created bool, err error) {
	if in.APID == "" {
		return 0, false, Invalid("ap_id", "is required")
	}
	reason := []rune(strings.TrimSpace(in.Reason))
	if len(reason) > MaxReportReasonLen {
		reason = reason[:MaxReportReasonLen]
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		if err := f.remoteActorMayAct(ctx, tx, in.ReporterID, "reporter"); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO reports (reporter_id, target_actor_id, reason, ap_id) VALUES ($1, $2, $3, $4)
			ON CONFLICT (ap_id) DO NOTHING RETURNING id`, in.ReporterID, in.TargetActorID, string(reason), in.APID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return tx.QueryRow(ctx, `SELECT id FROM reports WHERE ap_id = $1`, in.APID).Scan(&id)
		}
		if err != nil {
			return err
		}
		created = true
		_, err = tx.Exec(ctx, `INSERT INTO report_posts (report_id, post_id)
			SELECT $1, p.id FROM posts p WHERE p.id = ANY($2::bigint[]) AND p.author_id = $3`, id, in.PostIDs, in.TargetActorID)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("file report %s: %w", in.APID, err)
	}
	return id, created, nil
}

// Report is an entry of the moderation queue.
type Report struct {
	ID            int64        `db:"id"`
	Status        ReportStatus `db:"status"`
	Rule          string       `db:"rule"`
	Reason        string       `db:"reason"`
	APID          string       `db:"ap_id"`
	CreatedAt     time.Time    `db:"created_at"`
	ForwardedAt   *time.Time   `db:"forwarded_at"`
	ReporterID    int64        `db:"reporter_id"`
	ReporterName  string       `db:"reporter_username"`
	ReporterHost  string       `db:"reporter_domain"`
	ReporterKind  ActorKind    `db:"reporter_kind"`
	TargetID      int64        `db:"target_actor_id"`
	TargetName    string       `db:"target_username"`
	TargetHost    string       `db:"target_domain"`
	TargetDisplay string       `db:"target_display_name"`
	// TargetMember reports whether the account is a member here (only members can be banned).
	TargetMember bool `db:"target_member"`
	TargetBanned bool `db:"target_banned"`
	// TargetRole is the member's role, "" when the account is no member here: the queue offers a
	// ban only where BanMember's rule allows one.
	TargetRole Role           `db:"target_role"`
	Posts      []ReportedPost `db:"-"`
}

// ReporterHandle is the reporter's handle (user@domain when remote).
func (r Report) ReporterHandle() string { return joinHandle(r.ReporterName, r.ReporterHost) }

// TargetHandle is the reported account's handle.
func (r Report) TargetHandle() string { return joinHandle(r.TargetName, r.TargetHost) }

func joinHandle(user, domain string) string {
	if domain == "" {
		return user
	}
	return user + "@" + domain
}

// ReportedPost is a post a report names, with enough to judge it from the queue.
type ReportedPost struct {
	ReportID    int64      `db:"report_id"`
	PostID      int64      `db:"post_id"`
	ThreadID    int64      `db:"thread_id"`
	ThreadTitle string     `db:"thread_title"`
	Position    int        `db:"position"`
	Excerpt     string     `db:"excerpt"`
	HiddenAt    *time.Time `db:"hidden_at"`
	DeletedAt   *time.Time `db:"deleted_at"`
	// EditedSince says the post was edited after the report was filed: the excerpt is what it
	// says now, and its history what it said when reported.
	EditedSince bool `db:"edited_since"`
}

// maxReportExcerpt is how much of a reported post the queue shows, in characters.
const maxReportExcerpt = 500

// OpenReports lists the open reports, newest first, before a cursor (a report id; 0 for the
// start), with their posts. Staff only. next is the following page's cursor, 0 on the last.
func (f *Forum) OpenReports(ctx context.Context, by Viewer, before int64, limit int) ([]Report, int64, error) {
	if !by.IsStaff() {
		return nil, 0, fmt.Errorf("moderation queue: %w", ErrForbidden)
	}
	if limit <= 0 || limit > 100 {
		limit = ReportsPerPage
	}
	rows, err := f.db.Query(ctx, `SELECT r.id, r.status, r.rule, r.reason, coalesce(r.ap_id, '') AS ap_id, r.created_at,
			r.forwarded_at, r.reporter_id, ra.username AS reporter_username, coalesce(ra.domain, '') AS reporter_domain,
			ra.kind AS reporter_kind, r.target_actor_id, ta.username AS target_username,
			coalesce(ta.domain, '') AS target_domain, ta.display_name AS target_display_name,
			m.actor_id IS NOT NULL AS target_member, coalesce(m.banned_until > now(), false) AS target_banned,
			coalesce(m.role, '') AS target_role
		FROM (SELECT * FROM reports WHERE status = 'open' AND id < $1
			ORDER BY id DESC LIMIT $2) r
		JOIN actors ra ON ra.id = r.reporter_id
		JOIN actors ta ON ta.id = r.target_actor_id
		LEFT JOIN members m ON m.actor_id = r.target_actor_id
		ORDER BY r.id DESC`, pageBefore(before), limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("moderation queue: %w", err)
	}
	reports, err := pgx.CollectRows(rows, pgx.RowToStructByName[Report])
	if err != nil {
		return nil, 0, fmt.Errorf("moderation queue: %w", err)
	}
	var next int64
	if len(reports) > limit {
		reports = reports[:limit]
		next = reports[limit-1].ID
	}
	if len(reports) == 0 {
		return reports, 0, nil
	}
	ids := make([]int64, len(reports))
	for i, r := range reports {
		ids[i] = r.ID
	}
	rows, err = f.db.Query(ctx, `SELECT rp.report_id, p.id AS post_id, p.thread_id, t.title AS thread_title, p.position,
			left(coalesce(ps.body, ''), $2) AS excerpt, p.hidden_at, p.deleted_at,
			coalesce(p.edited_at > r.created_at, false) AS edited_since
		FROM report_posts rp
		JOIN reports r ON r.id = rp.report_id
		JOIN posts p ON p.id = rp.post_id
		JOIN threads t ON t.id = p.thread_id
		LEFT JOIN post_search ps ON ps.post_id = p.id
		WHERE rp.report_id = ANY($1)
		ORDER BY rp.report_id, p.id`, ids, maxReportExcerpt)
	if err != nil {
		return nil, 0, fmt.Errorf("reported posts: %w", err)
	}
	posts, err := pgx.CollectRows(rows, pgx.RowToStructByName[ReportedPost])
	if err != nil {
		return nil, 0, fmt.Errorf("reported posts: %w", err)
	}
	for i := range reports {
		for _, p := range posts {
			if p.ReportID == reports[i].ID {
				reports[i].Posts = append(reports[i].Posts, p)
			}
		}
	}
	return reports, next, nil
}

// ParseReportCursor reads the queue's ?before= ("" is the start).
func ParseReportCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, Invalid("before", "is not a cursor this server gave out")
	}
	return n, nil
}
