// Package clientip says who sent an HTTP request: the peer address, or, behind configured reverse
// proxies, the address they report. The web pages (sign-in throttling, the session list) and the
// inboxes (the allowance that pays for failed signatures) must agree on it, so it lives here.
//
// Imports: the standard library only.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Of is the address of whoever sent r.
//
// X-Forwarded-For is believed only when the peer is one of the trusted proxies, and then read from
// the right: each trusted proxy appends the address it received from, so the rightmost entry that
// is not itself a trusted proxy is the client. Entries further left were written by the client
// and prove nothing. With no trusted proxies the header is ignored, so nobody can pick their own
// address to dodge a throttle.
func Of(r *http.Request, trusted []netip.Prefix) netip.Addr {
	isTrusted := func(a netip.Addr) bool {
		if !a.IsValid() {
			return false
		}
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	peer := remoteAddr(r)
	if !isTrusted(peer) {
		return peer
	}
	var entries []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
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
		if !isTrusted(addr) {
			return addr
		}
	}
	return addr
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
