package federation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenAddress means a connection was refused because the resolved address is not a public
// unicast one (SECURITY.md rule 14).
var ErrForbiddenAddress = errors.New("address is not a public unicast address")

// nonPublicPrefixes are the ranges no fetch or delivery may reach, beside what netip's predicates
// already catch (loopback, private, link-local, multicast, unspecified).
var nonPublicPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated, still routed inside some networks)
	// Translation and tunnelling forms that can carry any IPv4 address, refused whole rather than
	// judged by the address inside: no fediverse server is reached only through them.
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64 (RFC 8215)
	netip.MustParsePrefix("2001::/32"),       // Teredo
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (SIIT)
}

// embeddedIPv4 returns the IPv4 address an IPv6 address carries in a form that reaches it:
// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4
// (2002:aabb:ccdd::/48). Each must be judged as the IPv4 address it leads to.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	v4 := func(x []byte) netip.Addr { return netip.AddrFrom4([4]byte{x[0], x[1], x[2], x[3]}) }
	switch {
	case a.Is4In6():
		return a.Unmap(), true
	case isZero(b[:12]):
		return v4(b[12:]), true // IPv4-compatible, including ::1 (=0.0.0.1) and ::
	case b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && isZero(b[4:12]):
		return v4(b[12:]), true
	case b[0] == 0x20 && b[1] == 0x02:
		return v4(b[2:6]), true
	}
	return netip.Addr{}, false
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// PublicUnicast reports whether a is an address federation may connect to: not loopback, private,
// link-local, CGNAT, unspecified, multicast, reserved or documentation space, in any IPv4 or IPv6
// spelling (mapped, compatible, NAT64, 6to4).
func PublicUnicast(a netip.Addr) bool {
	a = a.WithZone("")
	if v4, ok := embeddedIPv4(a); ok {
		if a.Is4In6() || isZero(a.AsSlice()[:12]) {
			// Mapped and compatible forms are the IPv4 address itself.
			return PublicUnicast(v4)
		}
		if !PublicUnicast(v4) {
			return false
		}
	}
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() || a.IsMulticast() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublicPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// localAllowed is what unsafe local mode still refuses: nothing routable is refused, but a
// multicast or unspecified address is never a server.
func localAllowed(a netip.Addr) bool {
	a = a.WithZone("")
	if v4, ok := embeddedIPv4(a); ok && (a.Is4In6() || isZero(a.AsSlice()[:12])) {
		a = v4
	}
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast()
}

// TransportOptions configure the HTTP transport of fetches and deliveries.
type TransportOptions struct {
	// UnsafeLocal allows loopback and private addresses (STOA_UNSAFE_LOCAL_FEDERATION). It is for
	// tests and development networks only.
	UnsafeLocal bool
	// HostMap sends connections for a host ("alpha.test", or "alpha.test:8080" for one port) to a
	// fixed address ("127.0.0.1:41234"), so several local instances can federate under their own
	// names. Honoured only with UnsafeLocal.
	HostMap map[string]string
}

// NewTransport returns the transport every outgoing federation request uses. The address check runs
// in the dialer's Control hook, on the address actually connected to after DNS resolution, so
// neither a name that resolves to 127.0.0.1 nor DNS rebinding between check and use gets through.
// It never uses an environment proxy (which would dial on our behalf, unchecked).
func NewTransport(o TransportOptions) *http.Transport {
	dialer := &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %q", ErrForbiddenAddress, address)
			}
			allowed := PublicUnicast(ap.Addr())
			if o.UnsafeLocal {
				allowed = localAllowed(ap.Addr())
			}
			if !allowed {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
			}
			return nil
		},
	}
	hostMap := map[string]string{}
	if o.UnsafeLocal {
		for k, v := range o.HostMap {
			hostMap[strings.ToLower(k)] = v
		}
	}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := mappedAddress(hostMap, addr); ok {
				addr = to
			}
			return dialer.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           200,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  20 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

func mappedAddress(hostMap map[string]string, addr string) (string, bool) {
	if len(hostMap) == 0 {
		return "", false
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false
	}
	if to, ok := hostMap[strings.ToLower(addr)]; ok {
		return to, true
	}
	to, ok := hostMap[strings.ToLower(host)]
	return to, ok
}

// ParseHostMap reads STOA_UNSAFE_HOST_MAP: "host=ip:port,host2:port=ip:port". Hosts are
// canonicalised; addresses must be literal IP:port (no names: the point is to need no DNS).
func ParseHostMap(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		host, addr, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want host=ip:port", item)
		}
		h, err := CanonicalHost(strings.TrimSpace(host))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		ap, err := netip.ParseAddrPort(strings.TrimSpace(addr))
		if err != nil {
			return nil, fmt.Errorf("%q: address must be ip:port: %w", item, err)
		}
		if _, dup := m[h]; dup {
			return nil, fmt.Errorf("host %q mapped twice", h)
		}
		m[h] = ap.String()
	}
	return m, nil
}
