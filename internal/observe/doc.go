// Package observe holds what every HTTP-facing part shares for operating Stoa: the slog logger (text
// or JSON) whose records carry the request id, the request-id and access-log middleware, panic
// recovery, the Prometheus registry with the HTTP metrics, and a limit on repeated warnings for
// components that repeat themselves (River during a database outage).
package observe
