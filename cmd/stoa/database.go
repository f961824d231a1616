package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/internal/querytrace"
)

// openDatabase connects and waits (up to a bound) for PostgreSQL to answer, so a server started
// together with its database, or while the database restarts, comes up instead of failing.
func openDatabase(ctx context.Context, cfg *Config, log *slog.Logger) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if pc.MaxConns < 20 {
		pc.MaxConns = 20
	}
	pc.MaxConnIdleTime = 5 * time.Minute
	pc.ConnConfig.RuntimeParams["application_name"] = "stoa"
	if cfg.QueryTiming {
		pc.ConnConfig.Tracer = querytrace.Tracer{}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database pool: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = pool.Ping(pingCtx)
		cancel()
		if err == nil {
			return pool, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			pool.Close()
			return nil, fmt.Errorf("database %s not reachable: %w", pc.ConnConfig.Host, err)
		}
		log.Warn("database not reachable yet, retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
