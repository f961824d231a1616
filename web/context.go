package web

import (
	"context"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

type ctxKey int

const viewerKey ctxKey = 1

// withViewer stores who is asking; the session and token middleware call it once per request.
func withViewer(ctx context.Context, v forum.Viewer) context.Context {
	return context.WithValue(ctx, viewerKey, v)
}

// viewerOf returns who is asking: a member, or forum.Guest.
func viewerOf(r *http.Request) forum.Viewer {
	if v, ok := r.Context().Value(viewerKey).(forum.Viewer); ok {
		return v
	}
	return forum.Guest
}
