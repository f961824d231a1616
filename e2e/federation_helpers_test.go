package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// apiThreadDoc and apiPostDoc are the parts of the JSON API's thread and post objects (docs/API.md)
// the federation scenarios look at.
type apiThreadDoc struct {
	ID        int64        `json:"id"`
	Title     string       `json:"title"`
	APID      string       `json:"ap_id"`
	Category  string       `json:"category"`
	Locked    bool         `json:"locked"`
	PostCount int          `json:"post_count"`
	Posts     []apiPostDoc `json:"posts"`
	Next      *string      `json:"next_cursor"`
	Follow    *struct {
		Handle string `json:"handle"`
		APID   string `json:"ap_id"`
	} `json:"follow"`
}

type apiPostDoc struct {
	ID     int64  `json:"id"`
	APID   string `json:"ap_id"`
	Author struct {
		Handle string `json:"handle"`
		APID   string `json:"ap_id"`
		Local  bool   `json:"local"`
	} `json:"author"`
	BodyHTML  string  `json:"body_html"`
	UpdatedAt *string `json:"updated_at"`
	LikeCount int     `json:"like_count"`
	InReplyTo *int64  `json:"in_reply_to"`
	Position  int     `json:"position"`
	Deleted   bool    `json:"deleted"`
}

// newMember creates a member on an instance and returns an API client signed in as them.
func newMember(t *testing.T, c *stoaproc.Cluster, in *stoaproc.Instance, username string, role ...string) apiClient {
	t.Helper()
	args := []string{"user", "create", "--username", username, "--email", username + "@example.test", "--password", username + "'s long password"}
	if len(role) > 0 {
		args = append(args, "--role", role[0])
	}
	in.Admin(args...)
	return apiClient{t: t, base: in.URL, token: trimmed(in.Admin("token", "create", "--username", username)), http: c.Client()}
}

// startThread starts a thread in a local category and returns it.
func (c apiClient) startThread(category, title, body string) apiThreadDoc {
	c.t.Helper()
	var th apiThreadDoc
	c.do("POST", "/api/v1/categories/"+category+"/threads", map[string]any{"title": title, "body": body}, &th)
	return th
}

// reply posts to a thread (inReplyTo 0: to the thread) and returns the post.
func (c apiClient) reply(threadID, inReplyTo int64, body string) apiPostDoc {
	c.t.Helper()
	in := map[string]any{"body": body}
	if inReplyTo != 0 {
		in["in_reply_to"] = inReplyTo
	}
	var p apiPostDoc
	c.do("POST", fmt.Sprintf("/api/v1/threads/%d/posts", threadID), in, &p)
	return p
}

// thread reads a whole thread, every page of posts; ok is false when it cannot be read (yet).
func (c apiClient) thread(id int64) (apiThreadDoc, bool) {
	c.t.Helper()
	var all apiThreadDoc
	path := fmt.Sprintf("/api/v1/threads/%d", id)
	for {
		status, body := c.try("GET", path, nil)
		if status != http.StatusOK {
			return all, false
		}
		var page apiThreadDoc
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			c.t.Fatalf("GET %s: %v in %s", path, err, body)
		}
		posts := append(all.Posts, page.Posts...)
		all = page
		all.Posts = posts
		if page.Next == nil {
			return all, true
		}
		path = fmt.Sprintf("/api/v1/threads/%d?cursor=%s", id, *page.Next)
	}
}

// categoryThreads lists the first page of a category's threads (a local slug or a remote handle).
func (c apiClient) categoryThreads(category string) []apiThreadDoc {
	c.t.Helper()
	var page struct {
		Threads []apiThreadDoc `json:"threads"`
	}
	status, body := c.try("GET", "/api/v1/categories/"+category+"/threads", nil)
	if status != http.StatusOK {
		return nil
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		c.t.Fatalf("threads of %s: %v in %s", category, err, body)
	}
	return page.Threads
}

// postIn finds the post whose text contains s.
func postIn(th apiThreadDoc, s string) (apiPostDoc, bool) {
	for _, p := range th.Posts {
		if strings.Contains(p.BodyHTML, s) {
			return p, true
		}
	}
	return apiPostDoc{}, false
}

// describeThread is a thread as a failure message shows it.
func describeThread(th apiThreadDoc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "thread %d %q locked=%v posts=%d\n", th.ID, th.Title, th.Locked, len(th.Posts))
	for _, p := range th.Posts {
		fmt.Fprintf(&b, "  #%d %s by %s deleted=%v likes=%d: %.80s\n", p.Position, p.APID, p.Author.Handle, p.Deleted, p.LikeCount, p.BodyHTML)
	}
	return b.String()
}

// Local is whether the author is a member of the instance that answered.
func (p apiPostDoc) Local() bool { return p.Author.Local }

// apiActorDoc is the JSON API's actor object (docs/API.md) as the scenarios read it.
type apiActorDoc struct {
	ID       int64   `json:"id"`
	Kind     string  `json:"kind"`
	Handle   string  `json:"handle"`
	APID     string  `json:"ap_id"`
	Category *string `json:"category"`
	Follow   *struct {
		State string `json:"state"`
	} `json:"follow"`
}

// followRemote follows a remote actor by handle through the JSON API and waits until the other
// server has accepted; it returns the actor.
func (c apiClient) followRemote(handle string) apiActorDoc {
	c.t.Helper()
	var a apiActorDoc
	c.do("POST", "/api/v1/follows", map[string]any{"actor": handle}, &a)
	eventually(c.t, 30*time.Second, handle+" accepts the follow from "+c.base, func() bool {
		c.do("GET", fmt.Sprintf("/api/v1/actors/%d", a.ID), nil, &a)
		return a.Follow != nil && a.Follow.State == "accepted"
	}, func() string { return fmt.Sprintf("%+v", a) })
	return a
}

// mirroredThread waits until a thread titled title shows in a remote category's mirror and
// returns it (with its posts).
func (c apiClient) mirroredThread(category, title string) apiThreadDoc {
	c.t.Helper()
	var found apiThreadDoc
	var seen []string
	eventually(c.t, 30*time.Second, fmt.Sprintf("%q shows in %s on %s", title, category, c.base), func() bool {
		seen = seen[:0]
		for _, th := range c.categoryThreads(category) {
			seen = append(seen, th.Title)
			if th.Title == title {
				found = th
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("threads: %q", seen) })
	full, ok := c.thread(found.ID)
	if !ok {
		c.t.Fatalf("thread %d of %s cannot be read on %s", found.ID, category, c.base)
	}
	return full
}

// waitThread waits until cond holds of a thread as c reads it, and returns it.
func (c apiClient) waitThread(id int64, what string, cond func(apiThreadDoc) bool) apiThreadDoc {
	c.t.Helper()
	var th apiThreadDoc
	eventually(c.t, 30*time.Second, what, func() bool {
		got, ok := c.thread(id)
		th = got
		return ok && cond(got)
	}, func() string { return describeThread(th) })
	return th
}
