package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/httperr"
)

// maxFormBytes bounds an ordinary form post (the site settings' custom CSS is the largest field).
const maxFormBytes = 256 << 10

// parseForm reads a form of at most limit bytes, url-encoded (what the forum's own pages send) or
// multipart (what a page with a file input, a script's FormData or curl -F sends; read as an empty
// form before, so a post made that way came back "empty"). A body that is too large stays a
// MaxBytesError (413); any other failure to read it (a bad percent escape, a broken multipart
// boundary) is the client's (httperr.ErrMalformed, 400), not a fault of the server's.
func parseForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(limit)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fmt.Errorf("read form: %w", err)
		}
		return fmt.Errorf("read form: %w: %v", httperr.ErrMalformed, err)
	}
	return nil
}

// formState is what a re-rendered form needs: the problems per field and a message for the whole
// form. Values are re-filled from what was posted, so bad input loses nothing.
type formState struct {
	Problems map[string]string
	Message  string
}

// Problem returns the message for a field, or "".
func (f formState) Problem(field string) string { return f.Problems[field] }

// Invalid reports whether a field has a problem (for aria-invalid).
func (f formState) Invalid(field string) string {
	if f.Problems[field] != "" {
		return "true"
	}
	return "false"
}

// HasProblems reports whether anything is wrong.
func (f formState) HasProblems() bool { return len(f.Problems) > 0 || f.Message != "" }

// formError turns an error from forum into a form state and the status to answer with, when the
// form can show it; ok is false for errors that deserve the error page (a 500, a 404).
func formError(err error) (formState, int, bool) {
	var ve *forum.ValidationError
	if errors.As(err, &ve) {
		st := formState{Problems: map[string]string{}}
		for _, p := range ve.Problems {
			if st.Problems[p.Field] == "" {
				st.Problems[p.Field] = p.Message
			} else {
				st.Problems[p.Field] += "; " + p.Message
			}
		}
		return st, http.StatusUnprocessableEntity, true
	}
	p := httperr.Of(err)
	switch p.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		return formState{Message: capitalize(p.Message)}, p.Status, true
	}
	return formState{}, 0, false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
