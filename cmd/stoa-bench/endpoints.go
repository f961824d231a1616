package main

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
)

// endpoint is one kind of page under load. request builds the next request: r is the caller's
// random source, worker picks the member a closed-loop worker signs in as.
type endpoint struct {
	name string
	// kind groups endpoints for the targets: "baseline", "list", "deep", "thread", "json".
	kind    string
	member  bool
	request func(r *rand.Rand, worker int) *http.Request
}

// benchPostsPerPage is the thread page the benchmark's brief names: a page of 50 posts. The
// forum shows forum.DefaultPostsPerPage (30) unless STOA_POSTS_PER_PAGE says otherwise; the
// benchmark serves 50, the heavier page.
const benchPostsPerPage = 50

// endpoints are the pages measured, the trivial handler first. Thread pages and JSON answers are
// full: perPage posts each (t.Threads hold at least that many), never a thread's shorter last page.
func endpoints(base string, t forum.SeedTargets, perPage int, sessions []*http.Cookie) []endpoint {
	get := func(path string, cookie *http.Cookie) *http.Request {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			panic(err) // paths are built here from numbers and a slug: a failure is a bug
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		return req
	}
	session := func(r *rand.Rand, worker int) *http.Cookie {
		if worker < 0 {
			return sessions[r.IntN(len(sessions))]
		}
		return sessions[worker%len(sessions)]
	}
	list := "/c/" + url.PathEscape(t.Category.Slug)
	var deep []string
	for _, c := range t.DeepCursors {
		if c.Share >= 0.1 { // deep: at least a tenth of the way down the category
			deep = append(deep, list+"?cursor="+url.QueryEscape(c.Cursor))
		}
	}
	threadPage := func(r *rand.Rand) string {
		th := t.Threads[r.IntN(len(t.Threads))]
		pages := th.PostCount / perPage
		return "/t/" + strconv.FormatInt(th.ID, 10) + "?page=" + strconv.Itoa(1+r.IntN(pages))
	}
	jsonPage := func(r *rand.Rand) string {
		th := t.Threads[r.IntN(len(t.Threads))]
		pages := th.PostCount / perPage
		return "/api/v1/threads/" + strconv.FormatInt(th.ID, 10) + "?cursor=" + strconv.Itoa(perPage*r.IntN(pages))
	}
	return []endpoint{
		{name: "GET /livez (trivial handler)", kind: "baseline", request: func(*rand.Rand, int) *http.Request { return get("/livez", nil) }},
		{name: "category page 1, guest", kind: "list", request: func(*rand.Rand, int) *http.Request { return get(list, nil) }},
		{name: "category page 1, member", kind: "list", member: true, request: func(r *rand.Rand, w int) *http.Request {
			return get(list, session(r, w))
		}},
		{name: "category deep page, guest", kind: "deep", request: func(r *rand.Rand, _ int) *http.Request {
			return get(deep[r.IntN(len(deep))], nil)
		}},
		{name: "category deep page, member", kind: "deep", member: true, request: func(r *rand.Rand, w int) *http.Request {
			return get(deep[r.IntN(len(deep))], session(r, w))
		}},
		{name: "thread page, member", kind: "thread", member: true, request: func(r *rand.Rand, w int) *http.Request {
			return get(threadPage(r), session(r, w))
		}},
		// The same pages for a guest: the page a forum serves most (visitors, crawlers), and, once the
		// guests' cache holds them, what a page of that size costs this server when nothing is made
		// for the reader: the member's page beside it pays for its reader (read marks, unread state,
		// likes) and its rendering on top of that.
		{name: "thread page, guest", kind: "thread", request: func(r *rand.Rand, _ int) *http.Request {
			return get(threadPage(r), nil)
		}},
		{name: "thread JSON (API), guest", kind: "json", request: func(r *rand.Rand, _ int) *http.Request {
			return get(jsonPage(r), nil)
		}},
	}
}
