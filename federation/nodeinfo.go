package federation

import (
	"context"
	"net/http"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// usageTTL is how long NodeInfo's counts are reused: crawlers poll NodeInfo often, and counting
// every post on each request would let them load the database at will.
const usageTTL = 15 * time.Minute

const (
	nodeInfo20Schema = "http://nodeinfo.diaspora.software/ns/schema/2.0"
	nodeInfo21Schema = "http://nodeinfo.diaspora.software/ns/schema/2.1"
)

// NodeInfoIndex answers /.well-known/nodeinfo: links to NodeInfo 2.0 and 2.1, and (FEP-2677) to
// the instance actor, so a peer can find the actor that signs this server's requests.
func (h *Handler) NodeInfoIndex(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json; charset=utf-8", map[string]any{
		"links": []map[string]string{
			{"rel": nodeInfo20Schema, "href": h.iris.Base() + "/nodeinfo/2.0"},
			{"rel": nodeInfo21Schema, "href": h.iris.Base() + "/nodeinfo/2.1"},
			{"rel": "https://www.w3.org/ns/activitystreams#Application", "href": h.iris.Instance()},
		},
	})
}

// NodeInfo20 answers /nodeinfo/2.0.
func (h *Handler) NodeInfo20(w http.ResponseWriter, r *http.Request) { h.nodeInfo(w, r, "2.0") }

// NodeInfo21 answers /nodeinfo/2.1 (which adds the software's repository and homepage).
func (h *Handler) NodeInfo21(w http.ResponseWriter, r *http.Request) { h.nodeInfo(w, r, "2.1") }

func (h *Handler) nodeInfo(w http.ResponseWriter, r *http.Request, version string) {
	u, err := h.nodeUsage(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	software := map[string]string{"name": h.software.Name, "version": h.software.Version}
	schema := nodeInfo20Schema
	if version == "2.1" {
		schema = nodeInfo21Schema
		if h.software.Repository != "" {
			software["repository"] = h.software.Repository
		}
		if h.software.Homepage != "" {
			software["homepage"] = h.software.Homepage
		}
	}
	// The name, description and whether anyone may sign up are the admin's site settings (kept in
	// process), so NodeInfo follows the settings page.
	site, err := h.forum.SiteSettings(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	metadata := map[string]any{"nodeName": site.SiteName}
	if site.Description != "" {
		metadata["nodeDescription"] = site.Description
	}
	fedMeta, err := h.federationMetadata(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	metadata["federation"] = fedMeta
	writeJSON(w, http.StatusOK, `application/json; profile="`+schema+`#"`, map[string]any{
		"version":   version,
		"software":  software,
		"protocols": []string{"activitypub"},
		"services":  map[string][]string{"inbound": {}, "outbound": {}},
		"usage": map[string]any{
			"users": map[string]int{
				"total": u.Users, "activeMonth": u.ActiveMonth, "activeHalfyear": u.ActiveHalfyear,
			},
			"localPosts": u.LocalPosts,
		},
		"openRegistrations": site.RegistrationOpen,
		"metadata":          metadata,
	})
}

// usageRetry is how soon counts that could not be refreshed are tried again.
const usageRetry = time.Minute

// nodeUsage returns the usage counts, recomputed at most once per usageTTL. Counting every post
// takes seconds on a big forum (5-18 s on 10 million posts), so once there are counts, a request
// never waits for new ones: stale counts are answered while one refresh runs in the background. Only
// the first request of a process counts while it waits, under the lock, so a burst of them runs one
// count, not one each.
func (h *Handler) nodeUsage(ctx context.Context) (forum.NodeUsage, error) {
	h.usageMu.Lock()
	defer h.usageMu.Unlock()
	now := h.now()
	if !h.usageAt.IsZero() {
		if now.Sub(h.usageAt) >= usageTTL && !h.usageRefreshing {
			h.usageRefreshing = true
			go h.refreshUsage()
		}
		return h.usage, nil
	}
	u, err := h.forum.Usage(ctx, now)
	if err != nil {
		return forum.NodeUsage{}, err
	}
	h.usage, h.usageAt = u, now
	return u, nil
}

// refreshUsage counts anew for nodeUsage, in the background. When it cannot, the old counts stay
// and another try comes after usageRetry.
func (h *Handler) refreshUsage() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	now := h.now()
	u, err := h.forum.Usage(ctx, now)
	h.usageMu.Lock()
	defer h.usageMu.Unlock()
	h.usageRefreshing = false
	if err != nil {
		h.log.Warn("NodeInfo: counts not refreshed; the old ones stay", "err", err)
		h.usageAt = now.Add(usageRetry - usageTTL)
		return
	}
	h.usage, h.usageAt = u, now
}

// federationMetadata publishes the moderated servers the way Pleroma and Akkoma do in NodeInfo
// (metadata.federation.mrf_simple, with reasons in mrf_simple_info), which is where fediverse
// observatories read them: suspended servers under "reject", silenced ones under
// "federated_timeline_removal", and the media and report flags. Domains the admin asked to
// obfuscate are published obfuscated, as on the public page.
func (h *Handler) federationMetadata(ctx context.Context) (map[string]any, error) {
	rules, err := h.forum.PublicDomainRules(ctx)
	if err != nil {
		return nil, err
	}
	mode, err := h.forum.FederationMode(ctx)
	if err != nil {
		return nil, err
	}
	simple := map[string][]string{"reject": {}, "federated_timeline_removal": {}, "media_removal": {}, "report_removal": {}}
	info := map[string]map[string]map[string]string{}
	add := func(list, domain, reason string) {
		simple[list] = append(simple[list], domain)
		if reason == "" {
			return
		}
		if info[list] == nil {
			info[list] = map[string]map[string]string{}
		}
		info[list][domain] = map[string]string{"reason": reason}
	}
	for _, r := range rules {
		d := r.PublicDomain()
		switch r.Severity {
		case forum.SeveritySuspend:
			add("reject", d, r.PublicComment)
		case forum.SeveritySilence:
			add("federated_timeline_removal", d, r.PublicComment)
		}
		if r.RejectMedia {
			add("media_removal", d, r.PublicComment)
		}
		if r.RejectReports {
			add("report_removal", d, r.PublicComment)
		}
	}
	return map[string]any{"enabled": true, "mode": string(mode), "mrf_policies": []string{"SimplePolicy"},
		"mrf_simple": simple, "mrf_simple_info": info}, nil
}
