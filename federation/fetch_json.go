package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// getJSON fetches a plain JSON document that is not ActivityStreams (a WebFinger JRD, NodeInfo)
// with every protection of Get: signed by the instance actor (GoToSocial signs even these, and
// servers in secure mode may require it), address-checked, budgeted, bounded in size and time, at
// most one same-origin redirect. The answer must be JSON (any application/*json type) and is
// decoded into v.
func (f *Fetcher) getJSON(ctx context.Context, rawURL, accept string, v any) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrUnsafeURL, clip(rawURL), err)
	}
	if _, err := f.checkURL(ctx, u); err != nil {
		return err
	}
	if err := spendFetch(ctx); err != nil {
		return fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnsafeURL, err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", f.userAgent)
	if err := f.signGet(req); err != nil {
		return err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return &StatusError{URL: resp.Request.URL.String(), Code: resp.StatusCode}
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !(mt == "application/json" || (len(mt) > 5 && mt[len(mt)-5:] == "+json")) {
		return fmt.Errorf("GET %s: Content-Type %q is not JSON", u.Redacted(), clip(resp.Header.Get("Content-Type")))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return fmt.Errorf("GET %s: read body: %w", u.Redacted(), err)
	}
	if int64(len(body)) > f.maxBytes {
		return fmt.Errorf("%w: GET %s: more than %d bytes", ErrTooLarge, u.Redacted(), f.maxBytes)
	}
	if err := checkJSONDepth(body); err != nil {
		return fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", u.Redacted(), malformed("%v", err))
	}
	return nil
}

// siteURL is the URL of a path on a remote host: https, or http in unsafe local mode (where test
// and development instances serve plain HTTP).
func (f *Fetcher) siteURL(host, pathAndQuery string) string {
	scheme := "https"
	if f.unsafe {
		scheme = "http"
	}
	return scheme + "://" + host + pathAndQuery
}
