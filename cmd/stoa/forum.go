package main

import (
	"cmp"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/markup"
	"github.com/stoa-forum/stoa/internal/notify"
)

// newForum builds the domain with the collaborators every command shares, so `stoa serve` and the
// admin commands render, seal and publish exactly alike. federator may be nil (nothing is published).
func newForum(pool *pgxpool.Pool, cfg *Config, jobs forum.Jobs, federator forum.Federator) (*forum.Forum, error) {
	iris, err := federation.NewIRIs(cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	// The renderer asks the forum whether an @name is a member; the forum needs the renderer.
	var f *forum.Forum
	localMember := func(username string) bool { return f.IsLocalMember(username) }
	f, err = forum.New(pool, forum.Options{
		Secret:    cfg.Secret,
		Jobs:      jobs,
		Federator: federator,
		// Hashtags link where their Hashtag tags point (federation.IRIs.Tag).
		// An @name that is no member stays plain text (forum.IsLocalMember).
		Markup: markup.New(markup.Options{BaseURL: cfg.PublicURL, TagURL: iris.Tag, LocalMember: localMember}),
		// Domain rules store and compare hosts exactly as federation spells them (SECURITY.md rule 9).
		CanonicalHost: federation.CanonicalHost,
		// Remote posts' notifications are made as they are stored, their mails linking here.
		Link: notify.SiteLink(cfg.PublicURL),
		// Kept only while serve's change listener runs; the admin commands keep nothing.
		SharedCacheBytes: cfg.SharedCacheBytes,
		PostsPerPage:     cfg.PostsPerPage,
		PostsPerMinute:   cmp.Or(cfg.PostsPerMinute, -1), // 0 in the configuration is no bound
	})
	return f, err
}
