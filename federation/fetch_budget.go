package federation

import (
	"context"
	"errors"
	"sync/atomic"
)

// ErrFetchBudget means the fetches allowed for one unit of work (one inbound activity) are used up
// (SECURITY.md rule 15): a peer cannot make Stoa walk an endless chain of references on its behalf.
var ErrFetchBudget = errors.New("fetch budget exhausted")

// DefaultFetchBudget is the number of fetches one inbound activity may cause.
const DefaultFetchBudget = 20

type budgetKey struct{}

// WithFetchBudget returns a context in which at most n fetches may be made, across every Fetcher
// call and goroutine that shares it. A context without a budget does not limit fetches (console
// commands, actor refresh jobs): the inbox sets one per activity.
func WithFetchBudget(ctx context.Context, n int) context.Context {
	b := new(atomic.Int64)
	b.Store(int64(n))
	return context.WithValue(ctx, budgetKey{}, b)
}

// spendFetch takes one fetch from ctx's budget.
func spendFetch(ctx context.Context) error {
	b, ok := ctx.Value(budgetKey{}).(*atomic.Int64)
	if !ok {
		return nil
	}
	if b.Add(-1) < 0 {
		return ErrFetchBudget
	}
	return nil
}

// FetchBudgetLeft reports how many fetches ctx still allows, and false when it has no budget.
func FetchBudgetLeft(ctx context.Context) (int, bool) {
	b, ok := ctx.Value(budgetKey{}).(*atomic.Int64)
	if !ok {
		return 0, false
	}
	return int(max(b.Load(), 0)), true
}
