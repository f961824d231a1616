package forum

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Federator is called inside the transaction that recorded an activity for federation (see
// activity.go). The outbox implements it by inserting its fan-out job in that same transaction, so
// the activity is published if and only if the change commits.
type Federator interface {
	ActivityRecorded(ctx context.Context, tx pgx.Tx, activityID int64) error
}

// JobArgs is a background job's payload. The method set matches River's JobArgs, so cmd/stoa can
// insert these values into River without this package importing it.
type JobArgs interface {
	Kind() string
}

// Jobs inserts background jobs in the caller's transaction.
type Jobs interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args JobArgs) error
}

// Markup turns what people write into safe HTML. The implementation (goldmark + bluemonday) lives
// outside this package so the domain stays free of rendering libraries.
type Markup interface {
	// RenderMarkdown renders a member's Markdown with raw HTML off, links mentions, and sanitises.
	RenderMarkdown(source string) Rendered
	// SanitizeHTML cleans HTML received from another server.
	SanitizeHTML(html string) string
}

// Rendered is the output of Markup.RenderMarkdown.
type Rendered struct {
	HTML     string
	Mentions []Mention
	Hashtags []string
	// Quotes are the ids of the posts here that the text quotes (a blockquote linking to one).
	Quotes []int64
}

// Mention is an @user or @user@host found in a post. Domain is empty for a local member.
type Mention struct {
	Username string
	Domain   string
}

func (f *Forum) insertJob(ctx context.Context, tx pgx.Tx, args JobArgs) error {
	if f.jobs == nil {
		return nil
	}
	return f.jobs.InsertTx(ctx, tx, args)
}
