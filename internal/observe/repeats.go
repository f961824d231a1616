package observe

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Repeated warnings and errors, logged once per window. River logs an error for every failed poll
// of every queue: while the database is away (a restart, a failover), about ten lines a second
// that all say the same, which buries the lines that say something else. LimitRepeats passes the
// first record of each level and message, drops the same again within window, and adds to the
// next one it passes how many it dropped ("repeated"). Debug and info records always pass.
func LimitRepeats(h slog.Handler, window time.Duration, now func() time.Time) slog.Handler {
	return &repeatLimiter{next: h, window: window, now: now, seen: &repeatState{last: map[repeatKey]repeatSeen{}}}
}

type repeatKey struct {
	level slog.Level
	msg   string
}

type repeatSeen struct {
	at      time.Time
	dropped int
}

// repeatState is shared by a limiter and the handlers WithAttrs and WithGroup derive from it: a
// component's logger with its own attributes repeats the same message as the one it came from.
type repeatState struct {
	mu   sync.Mutex
	last map[repeatKey]repeatSeen
}

// maxRepeatKeys bounds the memory of messages seen: past it, what was remembered is forgotten.
const maxRepeatKeys = 1024

type repeatLimiter struct {
	next   slog.Handler
	window time.Duration
	now    func() time.Time
	seen   *repeatState
}

func (l *repeatLimiter) Enabled(ctx context.Context, level slog.Level) bool {
	return l.next.Enabled(ctx, level)
}

func (l *repeatLimiter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return l.next.Handle(ctx, r)
	}
	key, now := repeatKey{r.Level, r.Message}, l.now()
	l.seen.mu.Lock()
	prev, ok := l.seen.last[key]
	if ok && now.Sub(prev.at) < l.window {
		prev.dropped++
		l.seen.last[key] = prev
		l.seen.mu.Unlock()
		return nil
	}
	if len(l.seen.last) >= maxRepeatKeys {
		clear(l.seen.last)
	}
	l.seen.last[key] = repeatSeen{at: now}
	l.seen.mu.Unlock()
	if prev.dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", prev.dropped))
	}
	return l.next.Handle(ctx, r)
}

func (l *repeatLimiter) WithAttrs(as []slog.Attr) slog.Handler {
	return &repeatLimiter{next: l.next.WithAttrs(as), window: l.window, now: l.now, seen: l.seen}
}

func (l *repeatLimiter) WithGroup(name string) slog.Handler {
	return &repeatLimiter{next: l.next.WithGroup(name), window: l.window, now: l.now, seen: l.seen}
}
