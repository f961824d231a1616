package web

import (
	"context"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// apiSearchPost is a post found: the post object, its thread, and the matching text.
type apiSearchPost struct {
	apiPost
	Thread apiThread `json:"thread"`
	// SnippetHTML is the text around the matches, escaped, the matching words in <mark>.
	SnippetHTML string `json:"snippet_html"`
}

type apiSearchResults struct {
	Posts      []apiSearchPost `json:"posts"`
	NextCursor *string         `json:"next_cursor"`
	// Narrowed: more posts match than were ranked; these are the best of the newest matches.
	Narrowed bool `json:"narrowed"`
}

// apiSearch: GET /api/v1/search?q=&category=&author=&after=&before=&cursor= -> the posts found,
// best first.
func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) {
	res, err := s.forum.Search(r.Context(), viewerOf(r), s.searchQueryOf(r.URL.Query()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := apiSearchResults{Posts: []apiSearchPost{}, NextCursor: nextCursor(res.Next), Narrowed: res.Narrowed}
	for _, h := range res.Hits {
		out.Posts = append(out.Posts, s.apiSearchPostOf(r.Context(), h))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiSearchPostOf(ctx context.Context, h forum.SearchHit) apiSearchPost {
	return apiSearchPost{apiPost: s.apiPostOf(h.Post), Thread: s.apiThreadOf(ctx, h.Thread, h.ThreadAuthor, hitCategoryHandle(h)),
		SnippetHTML: snippetHTML(h.Snippet)}
}
