package fedtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Received is one POST a sink got, verified.
type Received struct {
	Path  string
	ID    string
	Type  string
	Actor string
	// Object is the object's id, or the object itself when it is an IRI.
	Object string
	Body   []byte
	Header http.Header
	KeyID  string
	At     time.Time
	Status int
	// BadSignature is why the signature did not verify (nil when it did).
	BadSignature error
}

// Sink is a remote server's inbox on loopback: it verifies every POST (VerifyMastodonStyle) and
// records it, answering 202 unless Respond says otherwise.
type Sink struct {
	Host   string
	Server *httptest.Server
	keys   KeyFunc
	// Respond decides the answer to the n-th request (from 0); nil answers 202.
	Respond func(r Received, n int) (int, http.Header)
	// OnReceive, when set, is called with each request after it is recorded.
	OnReceive func(Received)

	mu  sync.Mutex
	got []Received
}

// NewSink starts a sink for host. Close it when done (or use Server.Close).
func NewSink(host string, keys KeyFunc) *Sink {
	s := &Sink{Host: host, keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the sink.
func (s *Sink) Close() { s.Server.Close() }

// Addr is the sink's listening address (for a host map).
func (s *Sink) Addr() string { return s.Server.Listener.Addr().String() }

func (s *Sink) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec := Received{Path: r.URL.Path, Body: body, Header: r.Header.Clone(), At: time.Now()}
	var env struct {
		ID     string          `json:"id"`
		Type   string          `json:"type"`
		Actor  string          `json:"actor"`
		Object json.RawMessage `json:"object"`
	}
	_ = json.Unmarshal(body, &env)
	rec.ID, rec.Type, rec.Actor = env.ID, env.Type, env.Actor
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(env.Object, &rec.Object) != nil && json.Unmarshal(env.Object, &obj) == nil {
		rec.Object = obj.ID
	}
	rec.KeyID, rec.BadSignature = VerifyMastodonStyle(r, body, s.keys)
	s.mu.Lock()
	n := len(s.got)
	status, header := http.StatusAccepted, http.Header(nil)
	if s.Respond != nil {
		status, header = s.Respond(rec, n)
	}
	rec.Status = status
	s.got = append(s.got, rec)
	s.mu.Unlock()
	if s.OnReceive != nil {
		s.OnReceive(rec)
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
}

// Received returns what the sink got, optionally only activities of the given types.
func (s *Sink) Received(types ...string) []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Received
	for _, r := range s.got {
		if len(types) == 0 || contains(types, r.Type) {
			out = append(out, r)
		}
	}
	return out
}
