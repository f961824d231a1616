package inbox

import (
	"context"
	"strings"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// reportPolicy is the optional part of a domain policy that refuses reports from some domains
// (a blocklist's reject_reports): their Flags are dropped.
type reportPolicy interface {
	ReportsRejected(ctx context.Context, host string) bool
}

// applyFlag files a report from another server in the moderation queue. Mastodon sends the
// reported account and its posts as an array object; only what is ours is taken (a Flag about
// other servers' accounts is not ours to judge). The reporter is the actor who sent it: a person,
// or a server's instance actor (Mastodon keeps its reporters anonymous that way). The reported
// account is the first member named, else the author of the first post; posts by anyone else are
// not attached (forum.FileRemoteReport checks).
func applyFlag(ctx context.Context, a *apply) error {
	if a.via != nil {
		return ignore("a Flag relayed by a Group is that Group's business")
	}
	if rp, ok := a.ib.policy.(reportPolicy); ok && rp.ReportsRejected(ctx, a.actor.Domain) {
		return ignore("reports from %s are rejected by the domain policy", a.actor.Domain)
	}
	var target int64
	var posts []int64
	for _, o := range a.act.Object {
		local, ok := a.localRef(o.ID)
		if !ok || local.Collection != "" || local.Key {
			continue
		}
		switch local.Kind {
		case federation.RefMember:
			if target != 0 {
				continue
			}
			m, err := a.ib.forum.LocalActorByUsername(ctx, local.Name)
			if err == nil && m.Kind == forum.ActorPerson {
				target = m.ID
			}
		case federation.RefPost:
			p, err := a.ib.forum.PostPlaceByID(ctx, local.ID)
			if err != nil {
				continue
			}
			posts = append(posts, p.PostID)
			if target == 0 {
				target = p.AuthorID
			}
		}
	}
	if target == 0 {
		return ignore("the report names nothing on this server")
	}
	reason := strings.TrimSpace(a.act.Content)
	if reason == "" {
		reason = strings.TrimSpace(a.act.Summary)
	}
	_, created, err := a.ib.forum.FileRemoteReport(ctx, forum.RemoteReport{APID: a.act.ID, ReporterID: a.actor.ID,
		TargetActorID: target, PostIDs: posts, Reason: reason})
	if err != nil {
		return err
	}
	if !created {
		return ignore("report %s was filed already", a.act.ID)
	}
	return nil
}
