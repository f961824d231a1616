package web

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// maxPostFormBytes caps a composer form post: a post body of MaxBodyLen characters as a browser
// sends them (a character of four UTF-8 bytes, each percent-encoded as three: twelve bytes; 20,000
// CJK characters were refused when this counted four), a title, and room for the field names.
const maxPostFormBytes = 12*forum.MaxBodyLen + 16<<10

// idParam reads a numeric id from the route; anything else is a 404, as for any unknown URL.
func idParam(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s %q: %w", name, chi.URLParam(r, name), forum.ErrNotFound)
	}
	return id, nil
}

// idCursor reads an id-based page cursor from the query string (?before=, ?cursor=): absent is 0,
// the first page; anything but a positive id is a validation error naming the parameter.
func idCursor(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, forum.Invalid(name, "is not a cursor this server gave out")
	}
	return n, nil
}

// seeOther ends a form post: the browser loads the result with a GET (post/redirect/get), so a
// reload does not post again.
func seeOther(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// wantsJSON reports whether app.js asked (fetch with Accept: application/json) rather than a
// browser submitting a form.
func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/json" {
			return true
		}
	}
	return false
}

// backTo is where a form post returns: the local path the form named, or fallback. Only paths on
// this site are followed (safeNext, SECURITY.md rule 23).
func backTo(r *http.Request, fallback string) string {
	next := r.PostFormValue("next")
	if next == "" {
		return fallback
	}
	if safe := safeNext(next); safe != "/" || next == "/" {
		return safe
	}
	return fallback
}

func threadPath(id int64) string { return "/t/" + itoa(id) }

func postPath(id int64) string { return "/p/" + itoa(id) }

// postAnchorPath is a post's place on its thread page.
func postAnchorPath(threadID int64, page int, postID int64) string {
	p := threadPath(threadID)
	if page > 1 {
		p += "?page=" + strconv.Itoa(page)
	}
	return p + "#p" + itoa(postID)
}
