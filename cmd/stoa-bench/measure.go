package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// phase is one endpoint's measurements in one round.
type phase struct {
	saturated, paced result
}

// warmUpMembersRate is the pace at which the warm-up asks for a member page as any member.
const warmUpMembersRate = 300

// measure warms every page up, then runs the rounds: per page, saturation then half load.
func measure(ctx context.Context, c config, client *http.Client, srv *server, eps []endpoint) ([][]phase, error) {
	for i, e := range eps {
		if r := closedLoop(ctx, client, e, c.concurrency, c.warmup, uint64(1000+i)); r.errors > 0 {
			return nil, fmt.Errorf("warm-up of %s: %d errors, first: %s", e.name, r.errors, r.firstErr)
		}
		// The closed loop's workers sign in as the first few members only; the half-load phase
		// picks any of them. Without this, that phase's first requests met every other member's
		// session and reading state cold (read from disk), a stall of hundreds of milliseconds
		// that round 1's member list showed in every run and no later round did.
		if e.member {
			if r := openLoop(ctx, client, e, warmUpMembersRate, c.warmup, uint64(2000+i)); r.errors > 0 {
				return nil, fmt.Errorf("warm-up of %s for every member: %d errors, first: %s", e.name, r.errors, r.firstErr)
			}
		}
	}
	runs := make([][]phase, c.rounds)
	for round := range c.rounds {
		runs[round] = make([]phase, len(eps))
		for i, e := range eps {
			seed := uint64(round*100 + i)
			a, err := readCPU(srv.pid())
			if err != nil {
				return nil, err
			}
			sat := closedLoop(ctx, client, e, c.concurrency, c.duration, seed)
			b, err := readCPU(srv.pid())
			if err != nil {
				return nil, err
			}
			sat.cpu = cpuBetween(a, b)
			paced := openLoop(ctx, client, e, sat.rate()*c.pacedShare, c.duration, seed)
			d, err := readCPU(srv.pid())
			if err != nil {
				return nil, err
			}
			paced.cpu = cpuBetween(b, d)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			runs[round][i] = phase{saturated: sat, paced: paced}
			log("round %d %-30s %7.0f req/s saturated, p99 %6.2f ms at %5.0f req/s (generator lag p99 %.2f ms; load %.2f)", round+1, e.name, sat.rate(),
				ms(percentile(append([]time.Duration(nil), paced.latencies...), 0.99)), paced.rate(),
				ms(percentile(append([]time.Duration(nil), paced.lags...), 0.99)), d.load1)
		}
	}
	return runs, nil
}
