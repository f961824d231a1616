package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address of whoever sent the request, for throttling and the session list.
//
// X-Forwarded-For is believed only when the peer is a configured trusted proxy, and then read from
// the right: each trusted proxy appends the address it received from, so the rightmost entry that
// is not itself a trusted proxy is the client. Entries further left were written by the client
// and prove nothing. With no trusted proxies configured the header is ignored, so nobody can pick
// their own address to dodge the sign-in throttle.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	peer := remoteAddr(r)
	if !s.trusted(peer) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	var entries []string
	for _, h := range hops {
		entries = append(entries, strings.Split(h, ",")...)
	}
	addr := peer
	for i := len(entries) - 1; i >= 0; i-- {
		a, err := parseHop(strings.TrimSpace(entries[i]))
		if err != nil {
			// A malformed hop: what is left of it cannot be trusted either; the last good
			// address seen (a trusted proxy's peer) is the best answer.
			return addr
		}
		addr = a.Unmap()
		if !s.trusted(addr) {
			return addr
		}
	}
	return addr
}

func (s *Server) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// parseHop reads one X-Forwarded-For entry: an address, or an address with a port (some load
// balancers append one, IPv6 then in brackets).
func parseHop(s string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return ap.Addr(), nil
}
