package fedtest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// KeyFunc returns the public key a key id names.
type KeyFunc func(keyID string) (*rsa.PublicKey, error)

// VerifyMastodonStyle checks a POST's HTTP signature the way Mastodon's SignatureVerification does:
// draft-cavage with rsa-sha256 (or hs2019), (request-target), host, date and digest signed, Date
// within 12 hours back and 1 hour ahead, Digest the SHA-256 of the body. It returns the key id.
func VerifyMastodonStyle(r *http.Request, body []byte, keys KeyFunc) (string, error) {
	params := map[string]string{}
	for _, part := range splitSignature(r.Header.Get("Signature")) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return "", fmt.Errorf("bad signature parameter %q", part)
		}
		params[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	keyID := params["keyId"]
	if keyID == "" || params["signature"] == "" {
		return keyID, errors.New("no keyId or signature")
	}
	if alg := params["algorithm"]; alg != "" && alg != "rsa-sha256" && alg != "hs2019" {
		return keyID, fmt.Errorf("algorithm %q", alg)
	}
	headers := strings.Fields(strings.ToLower(params["headers"]))
	for _, need := range []string{"(request-target)", "host", "date", "digest"} {
		if !contains(headers, need) {
			return keyID, fmt.Errorf("%s is not signed", need)
		}
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return keyID, fmt.Errorf("date: %v", err)
	}
	if age := time.Since(date); age > 12*time.Hour || age < -time.Hour {
		return keyID, fmt.Errorf("date %s is out of the window", date)
	}
	sum := sha256.Sum256(body)
	if r.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		return keyID, fmt.Errorf("digest %q does not match the body", r.Header.Get("Digest"))
	}
	var lines []string
	for _, name := range headers {
		switch name {
		case "(request-target)":
			lines = append(lines, "(request-target): "+strings.ToLower(r.Method)+" "+r.URL.RequestURI())
		case "host":
			lines = append(lines, "host: "+r.Host)
		default:
			lines = append(lines, name+": "+r.Header.Get(name))
		}
	}
	sig, err := base64.StdEncoding.DecodeString(params["signature"])
	if err != nil {
		return keyID, err
	}
	pub, err := keys(keyID)
	if err != nil {
		return keyID, err
	}
	hashed := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return keyID, rsa.VerifyPKCS1v15(pub, crypto.SHA256, hashed[:], sig)
}

// splitSignature splits a Signature header on the commas between parameters (not inside quotes).
func splitSignature(h string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, c := range h {
		switch {
		case c == '"':
			quoted = !quoted
			cur.WriteRune(c)
		case c == ',' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(c)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParsePublicKeyPEM reads an RSA public key in PKIX PEM form.
func ParsePublicKeyPEM(pemText string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, not RSA", k)
	}
	return rk, nil
}

// FetchKeys is a KeyFunc that fetches each key's actor document over HTTP once, as a peer would
// (base replaces the key id's origin: the test reaches the server at its listening address), and
// caches it.
func FetchKeys(client *http.Client, rewrite func(keyID string) string) KeyFunc {
	var mu sync.Mutex
	cache := map[string]*rsa.PublicKey{}
	return func(keyID string) (*rsa.PublicKey, error) {
		mu.Lock()
		k, ok := cache[keyID]
		mu.Unlock()
		if ok {
			return k, nil
		}
		actorURL, _, _ := strings.Cut(rewrite(keyID), "#")
		req, err := http.NewRequest(http.MethodGet, actorURL, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/activity+json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var doc struct {
			PublicKey struct {
				ID  string `json:"id"`
				PEM string `json:"publicKeyPem"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, fmt.Errorf("actor of %s: %w (%d %s)", keyID, err, resp.StatusCode, body)
		}
		if doc.PublicKey.ID != keyID {
			return nil, fmt.Errorf("actor publishes key %q, not %q", doc.PublicKey.ID, keyID)
		}
		if k, err = ParsePublicKeyPEM(doc.PublicKey.PEM); err != nil {
			return nil, err
		}
		mu.Lock()
		cache[keyID] = k
		mu.Unlock()
		return k, nil
	}
}
