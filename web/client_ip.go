package web

import (
	"net/http"
	"net/netip"

	"github.com/stoa-forum/stoa/internal/clientip"
)

// clientIP is the address of whoever sent the request, for throttling and the session list: the
// peer, or what a trusted proxy reports (internal/clientip says how, for the inboxes too).
func (s *Server) clientIP(r *http.Request) netip.Addr {
	return clientip.Of(r, s.proxies)
}
