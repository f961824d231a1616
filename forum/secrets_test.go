package forum

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// The pooled HTML MAC is the HMAC of "<kind>:<id>:<html>" under the HTML subkey, whatever the
// length of the HTML against its scratch buffer, and from goroutines side by side.
func TestHTMLMACIsTheHMACOfKindIDAndHTML(t *testing.T) {
	s, err := deriveSecrets([]byte("a-test-secret-of-at-least-thirty-two-bytes"))
	if err != nil {
		t.Fatal(err)
	}
	reference := func(kind string, id int64, html string) []byte {
		m := hmac.New(sha256.New, s.htmlMAC)
		fmt.Fprintf(m, "%s:%d:%s", kind, id, html)
		return m.Sum(nil)
	}
	var wg sync.WaitGroup
	for _, n := range []int{0, 1, 4000, 4095, 4096, 4097, 8192, 10000} {
		for _, kind := range []string{"post", "thread"} {
			html, id := strings.Repeat("<p>é</p>", n/9)+strings.Repeat("x", n%9), int64(n)*7919-3
			wg.Go(func() {
				for range 20 {
					if got := s.macHTML(kind, id, html); !hmac.Equal(got, reference(kind, id, html)) {
						t.Errorf("%s %d, %d bytes of HTML: MAC differs from the reference", kind, id, len(html))
						return
					}
					if !s.htmlOK(kind, id, html, reference(kind, id, html)) || s.htmlOK(kind, id+1, html, reference(kind, id, html)) {
						t.Errorf("%s %d: htmlOK does not tell its own MAC from another row's", kind, id)
						return
					}
				}
			})
		}
	}
	wg.Wait()
}

// BenchmarkHTMLMAC checks a post's HTML of the seed's size (about 1.5 KB), as every post read from
// the database is checked.
func BenchmarkHTMLMAC(b *testing.B) {
	s, err := deriveSecrets([]byte("a-test-secret-of-at-least-thirty-two-bytes"))
	if err != nil {
		b.Fatal(err)
	}
	html := strings.Repeat("<p>Lorem ipsum dolor sit amet, <em>consectetur</em> adipiscing elit.</p>\n", 20)
	mac := s.macHTML("post", 123456, html)
	b.ReportAllocs()
	for b.Loop() {
		if !s.htmlOK("post", 123456, html, mac) {
			b.Fatal("MAC does not verify")
		}
	}
}
