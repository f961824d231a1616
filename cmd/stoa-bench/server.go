package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// server is the `stoa serve` under test: a child process on the seeded database, with query timing
// on, so every response says how many queries it ran and for how long.
type server struct {
	cmd  *exec.Cmd
	base string
	done chan error
}

// startServer starts it with settings (VAR=value: the benchmark's server settings and the secret)
// added to this process's environment, and returns once it answers.
func startServer(ctx context.Context, binary, listen, dbURL string, settings []string, logPath string) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	base := "http://" + listen
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "STOA_DATABASE_URL="+dbURL, "STOA_LISTEN="+listen, "STOA_PUBLIC_URL="+base,
		"STOA_METRICS_LISTEN=off", "STOA_QUERY_TIMING=1",
		// A warning or worse is logged; one info line per request would make the benchmark partly
		// a benchmark of writing logs.
		"STOA_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, settings...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s serve: %w", binary, err)
	}
	s := &server{cmd: cmd, base: base, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("stoa serve exited before it was ready (%v); see %s", err, logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("stoa serve not ready after 90 s; see %s", logPath)
		}
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM and waits for a clean exit (SIGKILL after 15 s).
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("stoa serve exited with %v", err)
		}
		return err
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("stoa serve did not stop within 15 s of SIGTERM; killed")
	}
}
