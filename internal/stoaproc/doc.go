// Package stoaproc runs real Stoa processes for end-to-end tests: it builds cmd/stoa once per test
// binary, starts `stoa serve` on loopback with its own fresh database (internal/testdb), waits for
// /readyz, runs admin commands against the same configuration, and can stop, SIGKILL and restart an
// instance. Federation tests give each instance a host name (alpha.test, ...) that every instance,
// and the test's own HTTP client, resolves to the instance's port.
//
// On failure, tests print Instance.Logs so a red run explains itself.
package stoaproc
