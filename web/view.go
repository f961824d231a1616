package web

import (
	"fmt"
	"net/url"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/stoa-forum/stoa/forum"
)

// Small formatting helpers the templates share.

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// sentence capitalises the first letter of a message written for the API ("not found") to head a page.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func categoryPath(slug string) string { return "/c/" + url.PathEscape(slug) }

// withCursor is the URL of the next page of a list.
func withCursor(path, cursor string) string {
	return path + "?cursor=" + url.QueryEscape(cursor)
}

func pagePath(threadID int64, page int) string {
	if page <= 1 {
		return threadPath(threadID)
	}
	return fmt.Sprintf("%s?page=%d", threadPath(threadID), page)
}

// pageWindow is the page numbers a thread's pager shows: the first, the last, and two either side
// of the current one; 0 marks a gap.
func pageWindow(current, total int) []int {
	var out []int
	last := 0
	for n := 1; n <= total; n++ {
		if n == 1 || n == total || (n >= current-2 && n <= current+2) {
			if last != 0 && n > last+1 {
				out = append(out, 0)
			}
			out = append(out, n)
			last = n
		}
	}
	return out
}

// threadBadges names the states a thread shows next to its title.
func threadBadges(t forum.Thread) []string {
	var b []string
	if t.Pinned() {
		b = append(b, "pinned")
	}
	if t.Locked() {
		b = append(b, "locked")
	}
	if t.HiddenAt != nil {
		b = append(b, "hidden")
	}
	if t.DeletedAt != nil {
		b = append(b, "deleted")
	}
	return b
}

// ariaBool is an ARIA state's value ("true"/"false"; ARIA states are not boolean attributes).
func ariaBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// countLabel shows a header count, which forum stops counting at CountCap.
func countLabel(n int) string {
	if n >= forum.CountCap {
		return fmt.Sprintf("%d+", forum.CountCap-1)
	}
	return fmt.Sprintf("%d", n)
}
