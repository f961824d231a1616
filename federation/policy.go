package federation

import "context"

// DomainPolicy decides which remote servers Stoa talks to. Blocked is asked with a canonical host
// name (CanonicalHost, no port) before any request to or key fetch from that host, and for the
// signer of every verified request (SECURITY.md rule 9). Implementations cover subdomains: blocking
// "example.org" blocks "a.example.org". Domain blocks themselves are managed elsewhere; this package
// only asks.
type DomainPolicy interface {
	Blocked(ctx context.Context, host string) bool
}

// AllowAll is the policy with no blocks, the default until domain blocks are configured.
type AllowAll struct{}

// Blocked implements DomainPolicy.
func (AllowAll) Blocked(context.Context, string) bool { return false }
