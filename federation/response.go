package federation

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/httperr"
)

// writeDocument answers with an ActivityStreams document in the content type the client asked for,
// with an ETag (peers poll actors and collections; a 304 costs them and us nothing) and caching
// headers that match whether the answer depended on the requester's signature.
func (h *Handler) writeDocument(w http.ResponseWriter, r *http.Request, status int, doc map[string]any) {
	body, err := json.Marshal(doc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeBody(w, r, status, body)
}

// writeBody answers with a serialized document as it is: stored activities are served byte for
// byte, as their deliveries carried them.
func (h *Handler) writeBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	sum := sha256.Sum256(body)
	etag := `W/"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	hd := w.Header()
	hd.Set("Content-Type", responseContentType(r))
	hd.Set("ETag", etag)
	addVary(hd, "Accept")
	if h.authorizedFetch {
		// The answer depends on who signed: no shared cache may keep it.
		hd.Set("Cache-Control", "private, no-cache")
	} else {
		hd.Set("Cache-Control", "public, max-age=60")
	}
	hd.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusOK && etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// etagMatches implements If-None-Match's weak comparison over a list of tags or "*".
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// writeJSON answers with plain JSON of a given content type (WebFinger, NodeInfo), readable from
// any origin: these documents are public by design.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Cache-Control", "public, max-age=300")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail answers an error with the status internal/httperr picks, as a small JSON body peers can log.
// 401s say how to sign, so a peer's operator can tell what Stoa expects.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.answerError(w, r, err, true)
}

// failPlain is fail without the Tombstone: for WebFinger, whose answers are JRD, not
// ActivityStreams, a gone actor is a plain 410.
func (h *Handler) failPlain(w http.ResponseWriter, r *http.Request, err error) {
	h.answerError(w, r, err, false)
}

func (h *Handler) answerError(w http.ResponseWriter, r *http.Request, err error, tombstones bool) {
	p := httperr.Of(err)
	switch {
	case p.Status == httperr.StatusClientClosed:
		return
	case p.Status >= 500:
		h.log.ErrorContext(r.Context(), "federation request failed", "err", err, "path", r.URL.Path)
	default:
		h.log.DebugContext(r.Context(), "federation request refused", "err", err, "status", p.Status, "path", r.URL.Path)
	}
	if p.Status == http.StatusGone && tombstones {
		// Whatever is gone answers as a deleted post does (FEDERATION.md): a Tombstone a peer can
		// read, here of the thread's collection or actor, with what the document was unknown.
		h.writeDocument(w, r, http.StatusGone, tombstone(h.iris.Base()+r.URL.Path, ""))
		return
	}
	msg := p.Message
	if errors.Is(err, ErrBadSignature) || errors.Is(err, ErrUnsigned) {
		// Mastodon does the same: a peer's operator can only fix what the answer names.
		msg = strings.TrimSuffix(err.Error(), ": "+forum.ErrUnauthorized.Error())
	}
	hd := w.Header()
	if p.Status == http.StatusUnauthorized {
		hd.Set("WWW-Authenticate", `Signature realm="`+h.iris.Host()+`",headers="(request-target) host date"`)
	}
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	addVary(hd, "Accept")
	p.SetHeaders(hd)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg, "code": p.Code})
}

// addVary adds a field to Vary unless it is listed already.
func addVary(h http.Header, field string) {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), field) {
				return
			}
		}
	}
	h.Add("Vary", field)
}
