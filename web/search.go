package web

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stoa-forum/stoa/forum"
)

type searchView struct {
	Query      forum.SearchQuery
	Categories []forum.Category
	Results    forum.SearchResults
	Searched   bool
	More       string // the next page's URL, "" on the last
	Form       formState
}

// searchQueryOf reads a search from a query string: the page's form and the API take the same
// parameters. A member or category of this forum may be named by its full handle, as the API
// gives it (name@this host).
func (s *Server) searchQueryOf(q url.Values) forum.SearchQuery {
	return forum.SearchQuery{Text: q.Get("q"), Category: s.localName(q.Get("category")), Author: s.localName(q.Get("author")),
		After: q.Get("after"), Before: q.Get("before"), Cursor: q.Get("cursor")}
}

// searchURL is the address of a search (for "more results").
func searchURL(path string, q forum.SearchQuery) string {
	v := url.Values{}
	for k, s := range map[string]string{"q": q.Text, "category": q.Category, "author": q.Author,
		"after": q.After, "before": q.Before, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return path + "?" + v.Encode()
}

// search is /search: the form, and with a query its results, best first (?cursor= pages on).
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	ctx, v := r.Context(), viewerOf(r)
	q := s.searchQueryOf(r.URL.Query())
	view := searchView{Query: q}
	var err error
	if view.Categories, err = s.forum.VisibleCategories(ctx, v); err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if strings.TrimSpace(q.Text) != "" || q.Filtered() {
		res, err := s.forum.Search(ctx, v, q)
		if err != nil {
			st, code, ok := formError(err)
			if !ok {
				s.fail(w, r, err)
				return
			}
			view.Form, status = st, code
		} else {
			view.Results, view.Searched = res, true
			if res.Next != "" {
				next := q
				next.Cursor = res.Next
				view.More = searchURL("/search", next)
			}
		}
	}
	title := "Search"
	if q.Text != "" {
		title = "Search: " + q.Text
	}
	s.render(w, r, status, searchPage(s.page(r, title), view))
}

// searchNarrowedNote tells a reader that their search matched more posts than were ranked.
var searchNarrowedNote = "Many posts match: these are the best of the newest " + strconv.Itoa(forum.SearchCandidates) +
	". Add words, or narrow the search by category, author or dates, to reach older ones."

// snippetHTML writes highlighted fragments as HTML: the text escaped, the matches in <mark>.
func snippetHTML(fs []forum.Fragment) string {
	var b strings.Builder
	for _, f := range fs {
		if f.Match {
			b.WriteString("<mark>" + html.EscapeString(f.Text) + "</mark>")
		} else {
			b.WriteString(html.EscapeString(f.Text))
		}
	}
	return b.String()
}

// hitCategoryHandle is slug for local categories and slug@domain for remote ones.
func hitCategoryHandle(h forum.SearchHit) string {
	if h.CategoryDomain == "" {
		return h.CategorySlug
	}
	return h.CategorySlug + "@" + h.CategoryDomain
}
