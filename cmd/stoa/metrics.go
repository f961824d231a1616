package main

import (
	"net/http"
	"net/http/pprof"
)

// metricsMux is the handler of the metrics listener: Prometheus metrics on every path, and with
// withPprof the runtime profiles under /debug/pprof/. Profiles are mounted here and never on the
// public listener: they expose memory contents and let anyone burn CPU, so they stay on the
// operator's address (127.0.0.1 by default) and off unless STOA_PPROF asks for them.
func metricsMux(metrics http.Handler, withPprof bool) http.Handler {
	if !withPprof {
		return metrics
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", metrics)
	return mux
}
