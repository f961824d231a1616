package web

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: 90, A: 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAvatarUploadAndServing(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "ava", forum.RoleMember)
	b := s.browser()
	b.login("ava")

	for _, c := range []struct {
		name, filename, declared, want string
		data                           []byte
	}{
		{"PNG", "me.png", "image/png", "image/png", pngBytes(t, 900, 600)},
		// The declared type and the name are ignored: this JPEG claims to be a PNG.
		{"JPEG", "me.png", "image/png", "image/jpeg", jpegBytes(t, 500, 500)},
	} {
		r := b.upload("/settings/avatar", "avatar", c.filename, c.declared, c.data)
		wantStatus(t, r, http.StatusSeeOther)
		page := b.get("/u/ava")
		src := attr(firstByTestID(page.doc, "member-avatar"), "src")
		if !strings.HasPrefix(src, forum.AvatarPathPrefix) {
			t.Fatalf("%s: avatar src %q", c.name, src)
		}
		img := b.get(src)
		wantStatus(t, img, http.StatusOK)
		h := img.Header
		if h.Get("Content-Type") != c.want || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(h.Get("Cache-Control"), "max-age=31536000") {
			t.Fatalf("%s: avatar headers %v", c.name, h)
		}
		cfg, format, err := image.DecodeConfig(strings.NewReader(img.body))
		if err != nil || "image/"+format != c.want || cfg.Width > forum.MaxAvatarSide || cfg.Height > forum.MaxAvatarSide {
			t.Fatalf("%s: served %s %dx%d (%v)", c.name, format, cfg.Width, cfg.Height, err)
		}
	}
}

func TestAvatarUploadsThatLieOrAreTooBigAreRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "liar", forum.RoleMember)
	b := s.browser()
	b.login("liar")

	// HTML dressed up as a PNG by name and declared type.
	r := b.upload("/settings/avatar", "avatar", "cat.png", "image/png", []byte("<html><script>alert(document.cookie)</script>"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.text("problem-avatar"), "PNG, JPEG, GIF or WebP") {
		t.Fatalf("lying upload: %q", r.text("problem-avatar"))
	}
	// Over 2 MiB: reading stops at the limit, and the form says why.
	big := append(pngBytes(t, 10, 10), make([]byte, 3<<20)...)
	r = b.upload("/settings/avatar", "avatar", "big.png", "image/png", big)
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	if !strings.Contains(r.text("problem-avatar"), "at most 2 MiB") {
		t.Fatalf("oversize upload: %q", r.text("problem-avatar"))
	}
	// Just over the limit, inside the request allowance: the same answer.
	r = b.upload("/settings/avatar", "avatar", "big.png", "image/png", append(pngBytes(t, 10, 10), make([]byte, forum.MaxAvatarBytes)...))
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	if a, _ := s.f.LocalActorByUsername(t.Context(), "liar"); a.AvatarURL != "" {
		t.Fatalf("a refused upload set the avatar to %q", a.AvatarURL)
	}
	// Unknown avatars are a plain 404.
	wantStatus(t, b.get(forum.AvatarPathPrefix+strings.Repeat("0", 32)+".png"), http.StatusNotFound)
}
