package web

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"github.com/stoa-forum/stoa/forum"
)

// postItems are a thread page's posts (thread_page.templ), written by hand rather than by templ,
// as thread rows are (thread_row.go): a page has 30 posts by default (up to 100), and templ's
// generated code passed every expression of each through fmt.Sprint and wrote it in some thirty
// pieces, which made the posts the largest part of a thread page's rendering time. Each post is
// appended to one scratch buffer and written once. The markup is exactly what the templ
// components postItem, likeControl and postOriginLink produced; post_item_test.go renders posts of
// every kind, for viewers of every kind, both ways and compares them byte for byte, so any change
// belongs in both places.
func postItems(v threadView) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		bp := getBytes()
		defer putBytes(bp)
		for _, post := range v.Posts {
			*bp = appendPostItem((*bp)[:0], v, post)
			if _, err := w.Write(*bp); err != nil {
				return err
			}
		}
		return nil
	})
}

// postItem is one post as a component (the form post_item_test.go compares with templ's).
func postItem(v threadView, post forum.Post) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := w.Write(appendPostItem(make([]byte, 0, 4096), v, post))
		return err
	})
}

func appendPostItem(b []byte, v threadView, post forum.Post) []byte {
	deleted, hidden := post.Deleted(), post.Hidden()
	b = append(b, `<li class="post`...)
	if deleted {
		b = append(b, ` deleted`...)
	}
	if hidden {
		b = append(b, ` hidden`...)
	}
	if post.Unread {
		b = append(b, ` unread`...)
	}
	b = append(b, `" id="p`...)
	b = strconv.AppendInt(b, post.ID, 10)
	b = append(b, `" data-testid="post" data-post-id="`...)
	b = strconv.AppendInt(b, post.ID, 10)
	b = append(b, `"><header class="post-head">`...)
	if post.Unread {
		b = append(b, `<span class="new-marker" data-testid="unread-marker">new</span>`...)
	}
	b = appendAuthorByline(b, post.Author, "post-author")
	b = append(b, `<a class="permalink" href="/p/`...)
	b = strconv.AppendInt(b, post.ID, 10)
	b = append(b, `" title="Link to this post"><time datetime="`...)
	created := post.CreatedAt.UTC()
	b = created.AppendFormat(b, time.RFC3339) // isoTime; no character of it needs escaping
	b = append(b, `">`...)
	b = appendDateTime(b, created)
	b = append(b, `</time></a> `...)
	if post.EditedAt != nil && !post.Redacted {
		b = append(b, `<a class="edited" href="/p/`...)
		b = strconv.AppendInt(b, post.ID, 10)
		b = append(b, `/history" data-testid="edited">edited</a> `...)
	}
	if post.InReplyToID != nil {
		// Named when the post answered is on this page (a link within it); else a permalink.
		if parent, ok := v.parentOnPage(*post.InReplyToID); ok {
			b = append(b, `<a class="in-reply-to" href="#p`...)
			b = strconv.AppendInt(b, parent.ID, 10)
			b = append(b, `">in reply to `...)
			b = appendEscaped(b, parent.AuthorName())
			b = append(b, `</a>`...)
		} else {
			b = append(b, `<a class="in-reply-to" href="/p/`...)
			b = strconv.AppendInt(b, *post.InReplyToID, 10)
			b = append(b, `">in reply to an earlier post</a>`...)
		}
	}
	if origin := postOrigin(post); origin != "" {
		b = append(b, `<a class="origin" href="`...)
		b = appendEscaped(b, origin)
		b = append(b, `" rel="nofollow noopener noreferrer ugc" data-testid="post-origin">on `...)
		b = appendEscaped(b, hostOf(origin))
		b = append(b, `</a>`...)
	}
	b = append(b, `</header>`...)
	switch {
	case post.Redacted && deleted:
		b = append(b, `<p class="placeholder" data-testid="post-deleted">This post was deleted.</p>`...)
	case post.Redacted && post.Withheld != forum.LimitNone:
		b = append(b, `<p class="placeholder" data-testid="post-withheld">`+withheldPost+`</p>`...)
	case post.Redacted:
		b = append(b, `<p class="placeholder" data-testid="post-hidden">This post was hidden by a moderator.</p>`...)
	default:
		if deleted {
			b = append(b, `<p class="notice" data-testid="post-deleted">Deleted; only staff see this.</p>`...)
		} else if hidden {
			b = append(b, `<p class="notice" data-testid="post-hidden">Hidden by a moderator.</p>`...)
		}
		b = append(b, ` <div class="post-body" data-testid="post-body">`...)
		b = append(b, post.HTML...) // sanitised when rendered (templ.Raw in the component)
		b = append(b, `</div>`...)
	}
	b = append(b, `<footer class="post-actions">`...)
	b = append(appendLikeControl(b, v, post), ' ') // without styles, "0 likes Quote", not "0 likesQuote"
	// A hidden post is not answered: a reply to it, or quoting it, is refused.
	if !post.Redacted && !deleted && !hidden && v.Thread.CanReply() {
		b = append(b, `<a href="/t/`...)
		b = strconv.AppendInt(b, v.Thread.ID, 10)
		b = append(b, `/reply?quote=`...)
		b = strconv.AppendInt(b, post.ID, 10)
		b = append(b, `" data-quote="`...)
		b = strconv.AppendInt(b, post.ID, 10)
		b = append(b, `" data-testid="quote">Quote</a> <a href="/t/`...)
		b = strconv.AppendInt(b, v.Thread.ID, 10)
		b = append(b, `/reply?to=`...)
		b = strconv.AppendInt(b, post.ID, 10)
		b = append(b, `" data-reply-to="`...)
		b = strconv.AppendInt(b, post.ID, 10)
		b = append(b, `" data-testid="reply-to">Reply</a> `...)
	}
	// Members change their own posts while the thread is open; staff change any post at any time.
	mayChange := !deleted && (v.own(post) || v.Thread.Can.Moderate) && (!v.Thread.Locked() || v.Thread.Can.Moderate)
	if mayChange && post.APID == "" {
		b = appendPostAction(b, post.ID, `/edit`)
		b = append(b, `" data-testid="edit">Edit</a> `...)
	}
	if v.canReport(post) {
		b = appendPostAction(b, post.ID, `/report`)
		b = append(b, `" rel="nofollow" data-testid="report">Report</a> `...)
	}
	tools := v.hasTools()
	if mayChange && (v.Thread.Can.Moderate || !v.othersAnswered(post)) {
		if tools {
			b = appendStaffButton(b, post.ID, `/delete`)
			b = append(b, `" data-confirm="Delete this post?" data-testid="delete">Delete</button>`...)
		} else {
			b = appendPostForm(b, post.ID, `/delete`)
			b = append(b, `" class="inline" data-confirm="Delete this post?"><button type="submit" class="link" data-testid="delete">Delete</button></form>`...)
		}
	}
	if v.Thread.Can.Moderate && !deleted {
		action, label := `/hide`, `" data-testid="hide-post">Hide</button>`
		if hidden {
			action, label = `/unhide`, `" data-testid="unhide-post">Unhide</button>`
		}
		if tools {
			b = append(appendStaffButton(b, post.ID, action), label...)
		} else {
			b = appendPostForm(b, post.ID, action)
			b = append(b, `" class="inline"><button type="submit" class="link`...)
			b = append(b, label...)
			b = append(b, `</form>`...)
		}
	}
	return append(b, `</footer></li>`...)
}

// appendStaffButton opens a button that submits the page's moderation form (modFormID, with its
// reason) to one of a post's actions, up to the end of its formaction.
func appendStaffButton(b []byte, id int64, action string) []byte {
	b = append(b, `<button type="submit" class="link" form="`+modFormID+`" formaction="/p/`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, action...)
}

// appendLikeControl is likeControl: a form (a button that works without JavaScript; app.js
// submits it in place) for members who may like the post, and a plain count for everyone else.
func appendLikeControl(b []byte, v threadView, post forum.Post) []byte {
	if post.Redacted || post.Deleted() {
		return b
	}
	// A hidden post (shown to its author and staff) is not liked, but a like given before it
	// was hidden may still be taken back.
	if !v.Viewer.SignedIn() || v.own(post) || (post.Hidden() && !post.Liked) {
		b = append(b, `<span class="likes" data-testid="like-count">`...)
		b = strconv.AppendInt(b, int64(post.LikeCount), 10)
		if post.LikeCount == 1 {
			b = append(b, ` like</span>`...)
		} else {
			b = append(b, ` likes</span>`...)
		}
		return b
	}
	if post.Liked {
		b = appendPostForm(b, post.ID, `/unlike`)
		b = append(b, `" class="inline like-form" data-like><button type="submit" aria-pressed="true" data-testid="like-button">♥ <span data-testid="like-count" data-like-count>`...)
		b = strconv.AppendInt(b, int64(post.LikeCount), 10)
		return append(b, `</span> <span class="visually-hidden">likes; you like this, press to unlike</span></button></form>`...)
	}
	b = appendPostForm(b, post.ID, `/like`)
	b = append(b, `" class="inline like-form" data-like><button type="submit" aria-pressed="false" data-testid="like-button">♡ <span data-testid="like-count" data-like-count>`...)
	b = strconv.AppendInt(b, int64(post.LikeCount), 10)
	return append(b, `</span> <span class="visually-hidden">likes; press to like</span></button></form>`...)
}

// appendPostAction opens a link to one of a post's pages, up to the end of its href.
func appendPostAction(b []byte, id int64, action string) []byte {
	b = append(b, `<a href="/p/`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, action...)
}

// appendPostForm opens a form posting to one of a post's actions, up to the end of its action.
func appendPostForm(b []byte, id int64, action string) []byte {
	b = append(b, `<form method="post" action="/p/`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, action...)
}
