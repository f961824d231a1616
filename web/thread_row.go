package web

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"github.com/stoa-forum/stoa/forum"
)

// threadRow is one thread of a list (thread_list.templ), written by hand rather than by templ: a
// list page has up to 51 of them, and templ's generated code passes every expression through
// fmt.Sprint and writes it in a dozen pieces, which made the rows most of a list page's rendering
// time. It appends the row's HTML to one buffer and writes it once. The markup is exactly what
// the templ component it replaces produced; thread_row_test.go renders both for rows of every
// kind and compares them byte for byte, so any change belongs in both places.
func threadRow(t forum.ThreadSummary, showCategory bool) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := w.Write(appendThreadRow(make([]byte, 0, 1024), t, showCategory))
		return err
	})
}

func appendThreadRow(b []byte, t forum.ThreadSummary, showCategory bool) []byte {
	b = append(b, `<li class="thread-row" data-testid="thread-row" data-thread-id="`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `"><div class="thread-main"><a class="thread-title" href="/t/`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `">`...)
	b = appendEscaped(b, t.Title)
	b = append(b, `</a> `...)
	for _, badge := range threadBadges(t.Thread) {
		b = append(b, `<span class="badge badge-`...)
		b = append(b, badge...)
		b = append(b, `" data-testid="badge-`...)
		b = append(b, badge...)
		b = append(b, `">`...)
		b = append(b, badge...)
		b = append(b, `</span> `...)
	}
	if t.Unread > 0 {
		b = append(b, `<a class="unread-count" href="/t/`...)
		b = strconv.AppendInt(b, t.ID, 10)
		b = append(b, `/unread" data-testid="unread-count">`...)
		b = strconv.AppendInt(b, int64(t.Unread), 10)
		b = append(b, ` <span class="visually-hidden">unread; jump to the first</span><span aria-hidden="true">new</span></a>`...)
	}
	b = append(b, `</div><div class="thread-meta"><span class="byline">by `...)
	b = appendAuthorByline(b, t.Author, "thread-author")
	b = append(b, `</span> `...)
	if showCategory && t.CategoryDomain == "" {
		b = append(b, `<span>in <a href="`...)
		b = appendEscaped(b, categoryPath(t.CategorySlug))
		b = append(b, `">`...)
		b = appendEscaped(b, t.CategoryTitle)
		b = append(b, `</a></span> `...)
	} else if showCategory {
		b = append(b, `<span>in <a href="`...)
		b = appendEscaped(b, categoryPath(t.CategoryHandle()))
		b = append(b, `">`...)
		b = appendEscaped(b, t.CategoryTitle)
		b = append(b, `</a> (`...)
		b = appendEscaped(b, t.CategoryHandle())
		b = append(b, `)</span> `...)
	}
	b = append(b, `<span data-testid="post-count">`...)
	b = strconv.AppendInt(b, int64(t.PostCount), 10)
	if t.PostCount == 1 {
		b = append(b, ` post`...)
	} else {
		b = append(b, ` posts`...)
	}
	b = append(b, `</span> <span>last `...)
	if t.LastPosterName != "" {
		b = append(b, `by `...)
		b = appendEscaped(b, t.LastPosterName)
		b = append(b, ' ')
	}
	b = append(b, `<time datetime="`...)
	last := t.LastPostAt.UTC()
	b = last.AppendFormat(b, time.RFC3339) // isoTime; no character of it needs escaping
	b = append(b, `">`...)
	b = appendDateTime(b, last)
	return append(b, `</time></span></div></li>`...)
}

// appendAuthorByline is authorByline (author.templ) appended to b.
func appendAuthorByline(b []byte, a forum.Author, testID string) []byte {
	if a.AuthorWithheld {
		b = append(b, `<span class="author" data-testid="`...)
		b = appendEscaped(b, testID)
		return append(b, `">`+withheldAuthor+`</span>`...)
	}
	if avatar := safeAvatar(a.AuthorAvatarURL); avatar != "" {
		b = append(b, `<img class="avatar small" src="`...)
		b = appendEscaped(b, avatar)
		b = append(b, `" alt="" width="24" height="24" loading="lazy" referrerpolicy="no-referrer" data-testid="author-avatar"> `...)
	}
	b = append(b, `<a class="author" href="`...)
	b = appendEscaped(b, authorPagePath(a))
	b = append(b, `" data-testid="`...)
	b = appendEscaped(b, testID)
	b = append(b, `">`...)
	b = appendEscaped(b, a.AuthorName())
	b = append(b, `</a> `...)
	if !a.AuthorLocal() {
		b = append(b, `<span class="handle" data-testid="author-handle">@`...)
		b = appendEscaped(b, a.AuthorHandle())
		b = append(b, `</span>`...)
	}
	return b
}

// appendEscaped appends s escaped as html.EscapeString (templ.EscapeString) escapes it.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '"':
			esc = "&#34;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}
