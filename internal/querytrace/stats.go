package querytrace

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Stats are the queries run on behalf of one request.
type Stats struct {
	mu         sync.Mutex
	queries    int
	duration   time.Duration
	keep       bool
	statements []Statement
}

// Statement is one query as it was run: its text, arguments and time (client-side: from sending
// it to having its result, network round trip included).
type Statement struct {
	SQL      string
	Args     []any
	Duration time.Duration
}

type statsKey struct{}

// NewContext returns a context whose queries are added to the returned Stats. With keep, each
// statement is kept as well (for Explain); without, only counts and times.
func NewContext(ctx context.Context, keep bool) (context.Context, *Stats) {
	s := &Stats{keep: keep}
	return context.WithValue(ctx, statsKey{}, s), s
}

// FromContext returns the Stats of ctx, or nil.
func FromContext(ctx context.Context) *Stats {
	s, _ := ctx.Value(statsKey{}).(*Stats)
	return s
}

// Totals returns how many queries ran and their summed time.
func (s *Stats) Totals() (queries int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries, s.duration
}

// Statements returns the kept statements in the order they ran.
func (s *Stats) Statements() []Statement {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Statement(nil), s.statements...)
}

func (s *Stats) add(st Statement) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries++
	s.duration += st.Duration
	if s.keep {
		s.statements = append(s.statements, st)
	}
}

// Tracer is a pgx.QueryTracer that adds each query to its context's Stats; queries without Stats
// (background jobs, other requests' pools) cost one context lookup.
type Tracer struct{}

var _ pgx.QueryTracer = Tracer{}

type startKey struct{}

type started struct {
	at   time.Time
	sql  string
	args []any
}

// TraceQueryStart implements pgx.QueryTracer.
func (Tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if FromContext(ctx) == nil {
		return ctx
	}
	return context.WithValue(ctx, startKey{}, started{at: time.Now(), sql: data.SQL, args: data.Args})
}

// TraceQueryEnd implements pgx.QueryTracer.
func (Tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	s := FromContext(ctx)
	st, ok := ctx.Value(startKey{}).(started)
	if s == nil || !ok {
		return
	}
	s.add(Statement{SQL: st.sql, Args: st.args, Duration: time.Since(st.at)})
}

// Queries sent together in a pgx.Batch count one by one, like any others: a batch saves round
// trips, not queries. Each is timed from the batch's start or the previous one's result to its
// own result, so their times add up to the batch's.
var _ pgx.BatchTracer = Tracer{}

type batchKey struct{}

// TraceBatchStart implements pgx.BatchTracer.
func (Tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	if FromContext(ctx) == nil {
		return ctx
	}
	last := time.Now()
	return context.WithValue(ctx, batchKey{}, &last)
}

// TraceBatchQuery implements pgx.BatchTracer.
func (Tracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	s := FromContext(ctx)
	last, ok := ctx.Value(batchKey{}).(*time.Time)
	if s == nil || !ok {
		return
	}
	now := time.Now()
	s.add(Statement{SQL: data.SQL, Args: data.Args, Duration: now.Sub(*last)})
	*last = now
}

// TraceBatchEnd implements pgx.BatchTracer.
func (Tracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
