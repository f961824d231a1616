package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// maxAvatarRequestBytes leaves room for the multipart envelope around a maximal image; a bigger
// request is cut off while it is read, before it is buffered.
const maxAvatarRequestBytes = forum.MaxAvatarBytes + 64<<10

// uploadAvatar reads the uploaded file; forum decides what it is from its bytes (the file name and
// the browser's Content-Type are ignored) and stores a re-encoded copy.
func (s *Server) uploadAvatar(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	data, err := readAvatarUpload(w, r)
	if err == nil {
		_, err = s.forum.SetAvatar(r.Context(), v, v.ActorID, data)
	}
	if err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		if st.Message != "" && status == http.StatusRequestEntityTooLarge {
			st = formState{Problems: map[string]string{"avatar": fmt.Sprintf("must be at most %d MiB", forum.MaxAvatarBytes>>20)}}
		}
		view, verr := s.profileView(r, v)
		if verr != nil {
			s.fail(w, r, verr)
			return
		}
		view.AvatarForm = st
		s.render(w, r, status, profileSettingsPage(s.page(r, "Profile settings"), view))
		return
	}
	http.Redirect(w, r, "/settings/profile?saved=1", http.StatusSeeOther)
}

func readAvatarUpload(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAvatarRequestBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, forum.Invalid("avatar", "choose an image file to upload")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, forum.Invalid("avatar", "choose an image file to upload")
		}
		if err != nil {
			return nil, fmt.Errorf("read upload: %w", err)
		}
		if part.FormName() != "avatar" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, forum.MaxAvatarBytes+1))
		if err != nil {
			return nil, fmt.Errorf("read upload: %w", err)
		}
		if len(data) > forum.MaxAvatarBytes {
			// Stop reading here rather than take in the rest of a file that will be refused.
			return nil, fmt.Errorf("avatar upload: %w", &http.MaxBytesError{Limit: forum.MaxAvatarBytes})
		}
		return data, nil
	}
}

func (s *Server) removeAvatar(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	if err := s.forum.RemoveAvatar(r.Context(), v, v.ActorID); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/profile?saved=1", http.StatusSeeOther)
}
