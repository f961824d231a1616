package forum

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// PasswordChecks exposes the count of argon2id verifications to the external tests.
func PasswordChecks() int64 { return passwordChecks.Load() }

// InTx exposes inTx to the external tests (the commit mode it runs transactions with).
func (f *Forum) InTx(ctx context.Context, fn func(tx pgx.Tx) error) error { return f.inTx(ctx, fn) }
