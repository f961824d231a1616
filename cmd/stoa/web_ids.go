package main

import (
	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// webIDs answers the web package's Federation interface (ActivityPub ids shown on pages and in the
// API) from federation's IRIs; web may not import federation, so the composition root joins them.
type webIDs struct{ iris federation.IRIs }

func (w webIDs) CategoryAPID(slug string) string   { return w.iris.Category(slug) }
func (w webIDs) MemberAPID(username string) string { return w.iris.Member(username) }
func (w webIDs) ThreadAPID(threadID int64) string  { return w.iris.Thread(threadID) }
func (w webIDs) PostAPID(postID int64) string      { return w.iris.Post(postID) }

// ThreadFollow is the handle and id of the thread's followable actor.
func (w webIDs) ThreadFollow(threadID int64) (string, string) {
	return forum.ThreadActorUsername(threadID) + "@" + w.iris.Host(), w.iris.ThreadActor(threadID)
}
