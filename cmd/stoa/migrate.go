package main

import (
	"context"
	"fmt"

	"github.com/stoa-forum/stoa/internal/observe"
	"github.com/stoa-forum/stoa/migrations"
)

func migrateCommand() *command {
	return &command{name: "migrate", summary: "apply database migrations (Stoa's, then River's)", run: func(ctx context.Context, env *runEnv, args []string) error {
		fs := newFlagSet("stoa migrate", "", "apply database migrations (Stoa's, then River's)", env)
		cfg, err := parseWithConfig(fs, env, args)
		if err != nil {
			return err
		}
		if err := cfg.requireDatabase(); err != nil {
			return err
		}
		log, err := observe.NewLogger(env.stderr, cfg.LogFormat, cfg.LogLevel)
		if err != nil {
			return err
		}
		pool, err := openDatabase(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer pool.Close()
		res, err := migrations.Up(ctx, pool)
		if err != nil {
			return err
		}
		for _, m := range res.Applied {
			fmt.Fprintf(env.stdout, "applied %04d_%s\n", m.Version, m.Name)
		}
		fmt.Fprintf(env.stdout, "schema at version %d (River: %d migration(s) applied)\n", migrations.Latest(), res.RiverApplied)
		return nil
	}}
}
