package forum

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notifications are made off the request path: the transaction that inserts a post or a like also
// inserts a NotifyArgs job, and the job (internal/notify runs it) works out who is told
// (DeliverNotifications). A watched category can have thousands of watchers; a reply should not
// wait for them, and a crash between the commit and the work must not lose it. A remote post,
// stored by a background job already, makes its notifications in its own transaction instead
// (notifyRemotePost).

// NotifyEvent is what happened.
type NotifyEvent string

const (
	// NotifyPost: a post was published (replies, mentions, watchers of the thread or, for an
	// opener, of the category).
	NotifyPost NotifyEvent = "post"
	// NotifyMention: an edit mentioned members the post did not mention before, or quoted posts
	// it did not quote before.
	NotifyMention NotifyEvent = "mention"
	// NotifyLike: someone liked a post.
	NotifyLike NotifyEvent = "like"
)

// NotifyArgs is the background job that turns an event into notifications (and, for members who
// asked for them, e-mails). Running it twice inserts nothing twice.
type NotifyArgs struct {
	Event  NotifyEvent `json:"event"`
	PostID int64       `json:"post_id"`
	// ActorID is who acted: the post's author, or who liked it.
	ActorID int64 `json:"actor_id"`
	// Mentions are the usernames of the local members the post mentions (NotifyPost) or newly
	// mentions (NotifyMention).
	Mentions []string `json:"mentions,omitempty"`
	// Quotes are the posts a published post quotes (NotifyPost), or newly quotes (NotifyMention):
	// their authors are told.
	Quotes []int64 `json:"quotes,omitempty"`
}

// Kind names the job.
func (NotifyArgs) Kind() string { return "notify" }

// notifyMaxAge bounds how old a post may be, when it reaches us, to notify anyone: a remote
// thread fetched with its history (backfill) must not tell its watchers about every old reply.
const notifyMaxAge = 7 * 24 * time.Hour

// localMentions keeps the usernames of the members here among mentions, once each.
func localMentions(ms []Mention) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range ms {
		u := NormalizeHandle(m.Username)
		if m.Domain != "" || u == "" || seen[u] {
			continue
		}
		seen[u] = true
		out = append(out, u)
	}
	return out
}

// queuePostNotifications inserts the notifications job of post id, which is being inserted in tx
// (the job runs after the commit, and finds the post). at is notifyTime's judgement of its
// published time.
func (f *Forum) queuePostNotifications(ctx context.Context, tx pgx.Tx, id int64, at time.Time, in postInsert) error {
	if time.Since(at) > notifyMaxAge {
		return nil
	}
	return f.insertJob(ctx, tx, NotifyArgs{Event: NotifyPost, PostID: id, ActorID: in.AuthorID, Mentions: localMentions(in.Mentions),
		Quotes: in.Quotes})
}

// queueEditMentions notifies the members an edit mentions for the first time, and the authors of
// the posts it quotes for the first time.
func (f *Forum) queueEditMentions(ctx context.Context, tx pgx.Tx, postID, authorID int64, before, after Rendered) error {
	added := newOnes(localMentions(before.Mentions), localMentions(after.Mentions))
	quoted := newOnes(before.Quotes, after.Quotes)
	if len(added) == 0 && len(quoted) == 0 {
		return nil
	}
	return f.insertJob(ctx, tx, NotifyArgs{Event: NotifyMention, PostID: postID, ActorID: authorID, Mentions: added, Quotes: quoted})
}

// newOnes lists what after has and before had not, in after's order.
func newOnes[T comparable](before, after []T) []T {
	old := make(map[T]bool, len(before))
	for _, x := range before {
		old[x] = true
	}
	var out []T
	for _, x := range after {
		if !old[x] {
			out = append(out, x)
		}
	}
	return out
}

// queueLikeNotification notifies a post's author of a new like, in the transaction that stored
// the like. Local likes (setLike) and remote Likes both come through here.
func (f *Forum) queueLikeNotification(ctx context.Context, tx pgx.Tx, postID, likerID int64) error {
	return f.insertJob(ctx, tx, NotifyArgs{Event: NotifyLike, PostID: postID, ActorID: likerID})
}
