package stoaproc

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Client is an HTTP client that resolves the cluster's host names to their loopback addresses, as
// the instances themselves do, so tests address each instance by its public URL.
func (c *Cluster) Client() *http.Client {
	return HostMapClient(c.hostMap)
}

// HostMapClient returns an HTTP client dialing the mapped address for each host in m (any port).
func HostMapClient(m map[string]string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err == nil {
				if to, ok := m[host]; ok {
					addr = to
				}
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 8,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// HostMap is the cluster's host -> address map (for a scripted peer that must reach instances).
func (c *Cluster) HostMap() map[string]string {
	out := make(map[string]string, len(c.hostMap))
	for k, v := range c.hostMap {
		out[k] = v
	}
	return out
}
