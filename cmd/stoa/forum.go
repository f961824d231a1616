package main

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/markup"
)

// newForum builds the domain with the collaborators every command shares, so `stoa serve` and the
// admin commands render and seal exactly alike.
func newForum(pool *pgxpool.Pool, cfg *Config, jobs forum.Jobs) (*forum.Forum, error) {
	return forum.New(pool, forum.Options{
		Secret: cfg.Secret,
		Jobs:   jobs,
		Markup: markup.New(markup.Options{BaseURL: cfg.PublicURL}),
	})
}
