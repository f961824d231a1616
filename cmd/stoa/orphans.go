package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// orphanCheck is how often this process looks for jobs orphaned by a process that ended (crashed or
// killed) while running them, and orphanMinAge how long such a job must have been running: after a
// kill -9 its jobs run again within about half a minute, where River's rescuer waits
// STOA_JOB_RESCUE_AFTER (five minutes) for any job (forum/orphaned_jobs.go says why and how).
const (
	orphanCheck  = 10 * time.Second
	orphanMinAge = 10 * time.Second
)

// rescueOrphans holds this process's presence lock and, while it holds it, checks for orphaned
// jobs every orphanCheck, until ctx ends; the channel closes when both have stopped. While the lock
// is not held (at start, or while its connection is being made again) nothing is checked: this
// process's own running jobs would look orphaned.
func (a *app) rescueOrphans(ctx context.Context) <-chan struct{} {
	var held atomic.Bool
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		a.forum.KeepPresence(ctx, a.presence, a.log, held.Store)
	}()
	go func() {
		defer wg.Done()
		tick := time.NewTicker(orphanCheck)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if !held.Load() {
				continue
			}
			n, err := a.forum.RescueOrphanedJobs(ctx, orphanMinAge, forum.PresenceGrace)
			switch {
			case err != nil && ctx.Err() == nil:
				a.log.Warn("looking for orphaned jobs", "err", err)
			case n > 0:
				a.log.Info("jobs of a process that ended run again", "jobs", n)
			}
		}
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}
