package forum

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Posts received from other servers. The inbox has verified who sent them, resolved their author
// and decided where they go (the thread of the post they answer, or a new thread in a category);
// this file stores them the way local posts are stored (insertPost: positions by published time,
// counters, read state, search, notifications), and records the category's relay of the activity
// that carried them when the category is ours (FEP-1b12: a Group announces what it accepts).

// RemotePost is a post from another server, ready to store.
type RemotePost struct {
	APID string
	// URL is the post's page on its origin, which pages link to.
	URL      string
	AuthorID int64
	// InReplyToID is the stored post it answers; 0 for a thread's opening post (then Thread says
	// where the thread goes).
	InReplyToID int64
	Thread      *RemoteThread
	// HTML is the content as received (attachments rendered into it by the caller); it is
	// sanitised here before it is stored, and kept as the post's source.
	HTML      string
	Summary   string
	Sensitive bool
	Published time.Time
	// Updated is the object's updated time when it was edited before it reached this server:
	// the version stored, which an older Update delivered later must not replace (EditRemotePost).
	Updated time.Time
	// Mentions are the usernames of the local members the post mentions: they are notified.
	Mentions []string
	// InboundID is the received activity that carried the post: a local category relays it to its
	// followers. 0 for posts fetched while filling in a thread, which are not news.
	InboundID int64
	// Finishes is the received activity that storing this post completes (its Create): it is
	// marked applied in the post's own transaction, so applying it needs no transaction of its
	// own for that. 0 when the post is not the whole of an activity (a parent fetched on the
	// way, a post of a relayed activity).
	Finishes int64
}

// RemoteThread says where a remote opening post starts its thread.
type RemoteThread struct {
	CategoryID int64
	// Title is the name the origin gave the thread; "" derives one from the content.
	Title string
	// APID is the thread's id on its origin (its context collection, else its opening post), for
	// threads of remote categories. Empty for a thread a remote author starts in a local category:
	// Stoa hosts that thread, and serves its context collection itself.
	APID string
}

// Limits on what a remote post may bring. Content beyond the limit refuses the post: cutting HTML
// would change what it says.
const (
	maxRemoteHTML        = 256 << 10
	maxRemotePostSummary = 2000
	// remoteTitleLen is where a title derived from a post's first line is cut.
	remoteTitleLen = 80
)

func (in *RemotePost) validate() error {
	v := &ValidationError{}
	if _, err := urlOrigin(in.APID); err != nil || len(in.APID) > maxRemoteURL {
		v.Add("id", "must be an absolute http(s) URL of at most %d characters", maxRemoteURL)
	}
	if len(in.HTML) > maxRemoteHTML {
		v.Add("content", "is longer than %d bytes", maxRemoteHTML)
	}
	if (in.InReplyToID == 0) == (in.Thread == nil) {
		v.Add("inReplyTo", "a remote post either answers a stored post or opens a thread")
	}
	if in.Thread != nil && len(in.Thread.APID) > maxRemoteURL {
		v.Add("context", "is longer than %d characters", maxRemoteURL)
	}
	in.URL = httpURLOrEmpty(in.URL)
	in.Summary = plainDisplayName(in.Summary)
	if r := []rune(in.Summary); len(r) > maxRemotePostSummary {
		in.Summary = string(r[:maxRemotePostSummary])
	}
	return v.Err()
}

// CreateRemotePost stores a post received from another server and returns its id. created is
// false when the post was stored before (a redelivery, or the same post relayed by its category):
// nothing changes then. A post its origin deleted (TombstoneRemote) is ErrGone; one in a thread
// that was deleted is ErrGone, in a locked one ErrLocked; a local category takes remote posts only
// where guests may read and members may write (RemotePermission).
func (f *Forum) CreateRemotePost(ctx context.Context, in RemotePost) (id int64, created bool, err error) {
	if err := in.validate(); err != nil {
		return 0, false, fmt.Errorf("remote post %s: %w", in.APID, err)
	}
	html := f.markup.SanitizeHTML(in.HTML)
	// remoteMay and the notifications read the permission sets inside the transaction below.
	// Loading them there takes a second connection from the pool while the transaction holds one:
	// with as many appliers as connections, each would wait for the others for ever. Loaded first,
	// they are a cache hit there.
	if err := f.warmRemotePermissions(ctx); err != nil {
		return 0, false, fmt.Errorf("remote post %s: %w", in.APID, err)
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		start, err := remotePostFirst(ctx, tx, in)
		switch {
		case err != nil:
			return err
		case start.dead:
			return fmt.Errorf("post %s was deleted by its origin: %w", in.APID, ErrGone)
		case start.stored != 0:
			id = start.stored
			return nil
		}
		if err := remoteAuthorMayPost(start.author); err != nil {
			return err
		}
		pi := in.toInsert(start.author.ID, html)
		if in.Thread == nil {
			pi.InReplyToID = &start.parent.ID
		}
		var lt lockedThread
		var cat Category
		var heard bool
		if in.Thread != nil {
			cat = start.cat
			if err := f.remoteMay(ctx, cat, true); err != nil {
				return err
			}
			title := remoteTitle(in.Thread.Title, in.HTML)
			var threadID int64
			if err := tx.QueryRow(ctx, `INSERT INTO threads (category_id, author_id, title, ap_id) VALUES ($1, $2, $3, nullif($4, ''))
				RETURNING id`, cat.ID, start.author.ID, title, in.Thread.APID).Scan(&threadID); err != nil {
				if isUniqueViolation(err, "threads_ap_id_key") {
					return fmt.Errorf("thread %s exists: %w", in.Thread.APID, ErrConflict)
				}
				return err
			}
			// A new thread: no posts, nobody else can see it yet, and this transaction holds it.
			lt = lockedThread{Thread: Thread{ID: threadID, CategoryID: cat.ID, AuthorID: start.author.ID, Title: title}}
			if heard, err = relayHeard(ctx, tx, cat, threadID, in.InboundID); err != nil {
				return err
			}
		} else {
			if lt, cat, heard, err = lockReplyThread(ctx, tx, start.parent.ThreadID, in.InboundID); err != nil {
				return err
			}
			switch {
			case lt.DeletedAt != nil:
				return fmt.Errorf("thread %d: %w", lt.ID, ErrGone)
			case lt.Locked():
				return fmt.Errorf("thread %d: %w", lt.ID, ErrLocked)
			}
			if err := f.remoteMay(ctx, cat, false); err != nil {
				return err
			}
		}
		pi.ThreadID = lt.ID
		relay, relayed := relayActivity(cat, lt.ID, &start.id, in.InboundID)
		placed, err := f.insertPostLocked(ctx, tx, lt, start.id, pi, postExtras{NewThread: in.Thread != nil,
			Also: func(b *pgx.Batch) {
				if relayed && !heard {
					// Recorded for the thread's history; nobody to send it to.
					queueInsertActivity(b, relay)
				}
				if in.Finishes != 0 {
					queueFinishInbound(b, in.Finishes)
				}
			}})
		if err != nil {
			return err
		}
		id, created = placed.ID, true
		if err := f.notifyRemotePost(ctx, tx, placed, lt, cat, pi, in.Published); err != nil {
			return err
		}
		if relayed && heard {
			_, err = f.recordActivity(ctx, tx, relay)
		}
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("remote post %s: %w", in.APID, err)
	}
	return id, created, nil
}

// toInsert is the post to insert: the received HTML kept as its source, html (the same,
// sanitised) shown.
func (in RemotePost) toInsert(authorID int64, html string) postInsert {
	pi := postInsert{AuthorID: authorID, APID: in.APID, URL: in.URL, Source: in.HTML, SourceKind: "html",
		HTML: html, Summary: in.Summary, Sensitive: in.Sensitive, CreatedAt: in.Published, RemoteUpdatedAt: in.Updated}
	for _, u := range in.Mentions {
		pi.Mentions = append(pi.Mentions, Mention{Username: u})
	}
	return pi
}

// remoteAuthorMayPost refuses authors who are gone or suspended here, and local actors: a local
// member's posts are never ingested from the network (SECURITY.md rule 6).
func remoteAuthorMayPost(a Actor) error {
	switch {
	case a.Local():
		return fmt.Errorf("author %s is local: %w", a.Username, ErrForbidden)
	case a.DeletedAt != nil:
		return fmt.Errorf("author %s: %w", a.APID, ErrGone)
	case a.SuspendedAt != nil:
		return fmt.Errorf("author %s is suspended here: %w", a.APID, ErrForbidden)
	}
	return nil
}

// remoteMay says whether a remote author may start a thread (start) or reply in category c. A
// remote category takes what its Group relays. A local one takes remote posts where a guest may
// read (what a remote author writes is public on their server anyway) and a member may write: a
// person from elsewhere is neither staff nor a guest, and a category that keeps threads to its
// moderators keeps them from remote authors too.
func (f *Forum) remoteMay(ctx context.Context, c Category, start bool) error {
	if !c.Local() {
		return nil
	}
	guest, err := f.Permissions(ctx, Guest, c)
	if err != nil {
		return err
	}
	member, err := f.Permissions(ctx, Viewer{Role: RoleMember}, c)
	if err != nil {
		return err
	}
	if !guest.See || (start && !member.Start) || (!start && !member.Reply) {
		return fmt.Errorf("remote posts in %s: %w", c.Slug, ErrForbidden)
	}
	return nil
}

// warmRemotePermissions loads the permission sets remoteMay reads (a guest's and a member's) into
// the cache, outside any transaction.
func (f *Forum) warmRemotePermissions(ctx context.Context) error {
	for _, v := range []Viewer{Guest, {Role: RoleMember}} {
		if _, err := f.perms.compiledFor(ctx, f, v); err != nil {
			return err
		}
	}
	return nil
}

// lockThread locks a thread's row for the rest of tx and returns it with its category: the lock
// that serialises every change to a thread's posts (threadForWrite without a viewer, for changes
// the inbox has authorised).
func lockThread(ctx context.Context, f *Forum, tx pgx.Tx, id int64) (Thread, Category, error) {
	rows, err := tx.Query(ctx, "SELECT "+threadColumns+" FROM threads t WHERE t.id = $1 FOR NO KEY UPDATE", id)
	if err != nil {
		return Thread{}, Category{}, err
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Thread])
	if err != nil {
		return Thread{}, Category{}, notFound(err, fmt.Sprintf("thread %d", id))
	}
	c, err := categoryInTx(ctx, tx, t.CategoryID)
	if err != nil {
		return Thread{}, Category{}, err
	}
	return t, c, nil
}

// categoryInTx loads a category on the transaction's own connection. A transaction that asked the
// pool for a second connection while holding a thread's row lock would wait for one with the lock
// held: under load every pool connection can end up in such a wait (measured: apply jobs stalled
// until the test pool deadlocked, and a real server applied 52 activities a second).
func categoryInTx(ctx context.Context, tx pgx.Tx, id int64) (Category, error) {
	rows, err := tx.Query(ctx, "SELECT "+categoryColumns+" FROM categories c WHERE c.id = $1", id)
	if err != nil {
		return Category{}, fmt.Errorf("category %d: %w", id, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Category])
	if err != nil {
		return Category{}, notFound(err, fmt.Sprintf("category %d", id))
	}
	return c, nil
}

// relayInbound records a local category's Announce of a received activity it accepted, which the
// outbox delivers with the received bytes unchanged. Remote categories relay their own.
//
// The relay goes to the category's and the thread's remote followers (outbox/plan.go, relay):
// when neither has any, as in most categories, the Announce is recorded for the thread's history
// but no fan-out job is queued, since it would find nobody to send to. The check runs in this
// transaction, so what it sees is what a fan-out job queued here would have started from; a follow
// committed after it misses this one relay, as it would miss any activity sent before it followed.
func (f *Forum) relayInbound(ctx context.Context, tx pgx.Tx, c Category, threadID int64, postID *int64, inboundID int64) error {
	heard, err := relayHeard(ctx, tx, c, threadID, inboundID)
	if err != nil {
		return err
	}
	return f.recordRelay(ctx, tx, c, threadID, postID, inboundID, heard)
}

// recordRelay records the relay relayHeard asked about, publishing it when heard.
func (f *Forum) recordRelay(ctx context.Context, tx pgx.Tx, c Category, threadID int64, postID *int64, inboundID int64, heard bool) error {
	a, ok := relayActivity(c, threadID, postID, inboundID)
	if !ok {
		return nil
	}
	if !heard {
		_, err := insertActivity(ctx, tx, a)
		return err
	}
	_, err := f.recordActivity(ctx, tx, a)
	return err
}

// relayHeard reports whether a local category's relay of a received activity in a thread has
// anyone to reach: a follower of the category's or the thread's actor that the outbox delivers to
// (FollowerRecipients' conditions). There is no relay, and nothing to ask, for a remote category
// or a post that came with no activity of its own (inboundID 0).
func relayHeard(ctx context.Context, tx pgx.Tx, c Category, threadID, inboundID int64) (bool, error) {
	if !c.Local() || inboundID == 0 {
		return false, nil
	}
	var heard bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM follows fo JOIN actors a ON a.id = fo.follower_id
		WHERE fo.target_id IN ($1, (SELECT actor_id FROM threads WHERE id = $2)) AND fo.state = 'accepted'
		  AND a.domain IS NOT NULL AND a.deleted_at IS NULL AND a.suspended_at IS NULL AND a.inbox_url IS NOT NULL)`,
		c.ActorID, threadID).Scan(&heard)
	if err != nil {
		return false, fmt.Errorf("followers of category %d or thread %d: %w", c.ID, threadID, err)
	}
	return heard, nil
}

// remoteTitle is a remote thread's title: its name, else its first line of text with mentions
// left out (a Mastodon post that starts a thread begins "@general@forum ..."), cut at a word
// boundary.
func remoteTitle(name, html string) string {
	if t := normalizeTitle(name); t != "" {
		return cutWords(t, MaxTitleLen)
	}
	text := plainText(stripMentionLinks(html))
	for _, line := range strings.Split(text, "\n") {
		words := strings.Fields(line)
		for len(words) > 0 && strings.HasPrefix(words[0], "@") {
			words = words[1:]
		}
		if len(words) > 0 {
			return cutWords(strings.Join(words, " "), remoteTitleLen)
		}
	}
	return "Untitled"
}

// cutWords shortens s to at most n characters, at a word boundary when there is one in the second
// half, marking the cut with an ellipsis.
func cutWords(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n-1])
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.-") + "…"
}
