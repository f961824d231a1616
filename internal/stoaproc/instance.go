package stoaproc

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// Secret is the configuration secret every test instance uses.
const Secret = "stoaproc-secret-0123456789abcdef0123456789"

// Options describe an instance to start.
type Options struct {
	// Host is the instance's public host name (e.g. "alpha.test"). Empty: it is known by its
	// loopback address, http://127.0.0.1:port.
	Host string
	// Env adds or overrides environment variables (STOA_AUTHORIZED_FETCH, ...).
	Env map[string]string
}

// Instance is one running (or stopped) `stoa serve` process with its own database.
type Instance struct {
	Name  string // Host, or the loopback address
	URL   string // the public URL: every id and link on the instance starts with it
	Addr  string // the loopback address it listens on
	DBURL string

	tb   testing.TB
	env  []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan error
	logs *syncBuffer
}

// Cluster is a set of instances that resolve each other's host names.
type Cluster struct {
	tb        testing.TB
	Instances map[string]*Instance
	hostMap   map[string]string // host -> loopback address, shared by every instance and Client
}

// NewCluster reserves a loopback port for every option's host and starts the instances with a host
// map naming all of them (and any extra hosts, such as a scripted peer's), so each can reach the
// others by name.
func NewCluster(tb testing.TB, extraHosts map[string]string, opts ...Options) *Cluster {
	tb.Helper()
	c := &Cluster{tb: tb, Instances: map[string]*Instance{}, hostMap: map[string]string{}}
	for h, addr := range extraHosts {
		c.hostMap[h] = addr
	}
	addrs := make([]string, len(opts))
	for i, o := range opts {
		addrs[i] = FreeAddr(tb)
		if o.Host != "" {
			c.hostMap[o.Host] = addrs[i]
		}
	}
	for i, o := range opts {
		in := newInstance(tb, o, addrs[i], c.hostMap)
		c.Instances[in.Name] = in
	}
	var wg sync.WaitGroup
	for _, in := range c.Instances {
		wg.Add(1)
		go func() { defer wg.Done(); in.start() }()
	}
	wg.Wait()
	for _, in := range c.Instances {
		in.WaitReady()
	}
	return c
}

// Start starts one instance on its own, known by its loopback address.
func Start(tb testing.TB, o Options) *Instance {
	tb.Helper()
	in := newInstance(tb, o, FreeAddr(tb), nil)
	in.start()
	in.WaitReady()
	return in
}

func newInstance(tb testing.TB, o Options, addr string, hostMap map[string]string) *Instance {
	tb.Helper()
	in := &Instance{tb: tb, Addr: addr, DBURL: testdb.NewURL(tb), logs: &syncBuffer{}}
	if o.Host != "" {
		in.Name, in.URL = o.Host, "http://"+o.Host
	} else {
		in.Name, in.URL = addr, "http://"+addr
	}
	env := map[string]string{
		"STOA_DATABASE_URL":   in.DBURL,
		"STOA_SECRET_KEY":     Secret,
		"STOA_LISTEN":         addr,
		"STOA_METRICS_LISTEN": "off",
		"STOA_PUBLIC_URL":     in.URL,
		"STOA_LOG_LEVEL":      "debug",
		// Tests stop instances on purpose; they need not wait for the production drain.
		"STOA_SHUTDOWN_TIMEOUT": "3s",
		// Scenes post many replies through the API in a moment, which the default bound on a
		// member's posts would refuse (web tests cover the bound).
		"STOA_POSTS_PER_MINUTE": "0",
	}
	if len(hostMap) > 0 {
		env["STOA_UNSAFE_LOCAL_FEDERATION"] = "1"
		env["STOA_UNSAFE_HOST_MAP"] = formatHostMap(hostMap)
	}
	for k, v := range o.Env {
		env[k] = v
	}
	in.env = os.Environ()
	for k, v := range env {
		in.env = append(in.env, k+"="+v)
	}
	tb.Cleanup(func() {
		in.Kill()
		if tb.Failed() {
			tb.Logf("---- logs of %s ----\n%s", in.Name, in.Logs())
		}
	})
	return in
}

func formatHostMap(m map[string]string) string {
	hosts := make([]string, 0, len(m))
	for h := range m {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	parts := make([]string, len(hosts))
	for i, h := range hosts {
		parts[i] = h + "=" + m[h]
	}
	return strings.Join(parts, ",")
}

func (in *Instance) start() {
	in.tb.Helper()
	in.mu.Lock()
	defer in.mu.Unlock()
	cmd := exec.Command(Binary(in.tb), "serve")
	cmd.Env = in.env
	cmd.Stdout, cmd.Stderr = in.logs, in.logs
	if err := cmd.Start(); err != nil {
		in.tb.Fatalf("start %s: %v", in.Name, err)
	}
	in.cmd, in.done = cmd, make(chan error, 1)
	go func(done chan error) { done <- cmd.Wait() }(in.done)
	fmt.Fprintf(in.logs, "---- stoaproc: started pid %d ----\n", cmd.Process.Pid)
}

// WaitReady waits until /readyz answers 200, failing the test after a minute.
func (in *Instance) WaitReady() {
	in.tb.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		resp, err := client.Get("http://" + in.Addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		in.mu.Lock()
		done := in.done
		in.mu.Unlock()
		select {
		case err := <-done:
			in.tb.Fatalf("%s exited while starting: %v\n%s", in.Name, err, in.Logs())
		case <-time.After(100 * time.Millisecond):
		}
	}
	in.tb.Fatalf("%s: /readyz never answered 200\n%s", in.Name, in.Logs())
}

// Stop sends SIGTERM and waits for a clean exit.
func (in *Instance) Stop() {
	in.tb.Helper()
	in.signal(syscall.SIGTERM, 15*time.Second)
}

// Kill sends SIGKILL (a crash: no drain, no cleanup) and waits for the process to end.
func (in *Instance) Kill() { in.signal(syscall.SIGKILL, 10*time.Second) }

// Restart starts the stopped or killed instance again on the same address and database.
func (in *Instance) Restart() {
	in.tb.Helper()
	in.start()
	in.WaitReady()
}

// Pid is the running process's id (0 when stopped).
func (in *Instance) Pid() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil || in.cmd.Process == nil {
		return 0
	}
	return in.cmd.Process.Pid
}

func (in *Instance) signal(sig syscall.Signal, wait time.Duration) {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.cmd = nil
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case err := <-done:
		if sig == syscall.SIGTERM && err != nil {
			in.tb.Errorf("%s did not exit cleanly on SIGTERM: %v", in.Name, err)
		}
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		in.tb.Errorf("%s still running %v after %v", in.Name, wait, sig)
	}
}

// Logs is everything the instance has written so far.
func (in *Instance) Logs() string { return in.logs.String() }

// Admin runs `stoa admin ARGS...` with the instance's configuration and returns its standard output.
func (in *Instance) Admin(args ...string) string {
	in.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(in.tb), append([]string{"admin"}, args...)...)
	cmd.Env = in.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		in.tb.Fatalf("stoa admin %s on %s: %v\n%s", strings.Join(args, " "), in.Name, err, stderr.String())
	}
	return stdout.String()
}

// FreeAddr returns a loopback address with a port nobody listens on right now.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
