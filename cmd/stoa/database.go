package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/internal/querytrace"
)

// openDatabase connects and waits (up to a bound) for PostgreSQL to answer, so a server started
// together with its database, or while the database restarts, comes up instead of failing.
// configure adjusts the pool's settings before it opens (keepPoolOpen for a server).
func openDatabase(ctx context.Context, cfg *Config, log *slog.Logger, configure ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if pc.MaxConns < 20 {
		pc.MaxConns = 20
	}
	pc.MaxConnIdleTime = 5 * time.Minute
	for _, c := range configure {
		c(pc)
	}
	pc.ConnConfig.RuntimeParams["application_name"] = "stoa"
	lost := &lostConnections{}
	pc.ConnConfig.Tracer = lost
	if cfg.QueryTiming {
		pc.ConnConfig.Tracer = multitracer.New(lost, querytrace.Tracer{})
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database pool: %w", err)
	}
	lost.watch(pool)
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

// keepPoolOpen makes a server's pool a fixed size (unless pool_min_conns says otherwise), as
// HikariCP advises for servers: a burst of work (a fan-out's 63 batches starting together, a wave
// of inbound activities) would otherwise open connections while it runs, and each costs both sides
// a SCRAM exchange and PostgreSQL a backend whose caches start cold. The delivery benchmark opened
// 13-16 of them in its 2-second run with none kept open, and 9-10 with half the pool kept open.
func keepPoolOpen(pc *pgxpool.Config) {
	if pc.MinConns == 0 {
		pc.MinConns = pc.MaxConns
	}
}
