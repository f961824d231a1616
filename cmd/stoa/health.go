package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/stoa-forum/stoa/migrations"
)

// livez answers while the process runs; it touches nothing else, so a database outage does not
// get the process restarted by its supervisor.
func (a *app) livez(w http.ResponseWriter, r *http.Request) {
	writeHealth(w, http.StatusOK, map[string]any{"status": "ok"})
}

// readyz answers 200 when the database is reachable and its schema is exactly the one this binary
// knows; a load balancer should send traffic only then.
func (a *app) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	st, err := migrations.Check(ctx, a.pool)
	switch {
	case err != nil:
		a.log.WarnContext(ctx, "not ready", "err", err)
		writeHealth(w, http.StatusServiceUnavailable, map[string]any{"status": "database unavailable"})
	case !st.UpToDate():
		writeHealth(w, http.StatusServiceUnavailable, map[string]any{"status": "migrations pending", "schema": st.Current, "binary": st.Latest, "missing": st.Missing, "river_current": st.River})
	default:
		writeHealth(w, http.StatusOK, map[string]any{"status": "ok", "schema": st.Current})
	}
}

func writeHealth(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
