package forum_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// testImage is w x h with a red left half and a blue right half, so orientation is visible.
func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{R: 220, A: 255}
			if x >= w/2 {
				c = color.NRGBA{B: 220, A: 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegWithEXIF encodes img as JPEG and inserts an APP1 EXIF segment (big-endian TIFF) holding an
// orientation and a GPS-looking string, the way phones write them.
func jpegWithEXIF(t *testing.T, img image.Image, orientation uint16) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")                        // header, IFD0 at offset 8
	tiff = binary.BigEndian.AppendUint16(tiff, 1)                       // one entry
	tiff = append(tiff, 0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1)             // Orientation, SHORT, count 1
	tiff = binary.BigEndian.AppendUint16(tiff, orientation)             // value
	tiff = append(tiff, 0, 0, 0, 0, 0, 0, 0, 0)                         // padding, next IFD = 0
	tiff = append(tiff, []byte("GPSLatitude 48.8584 N SECRET-HOME")...) // what must not leak
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1}
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	out := append([]byte{0xFF, 0xD8}, app1...)
	return append(out, b.Bytes()[2:]...)
}

// pngHeaderOnly is an 8-bit RGBA PNG whose header claims w x h: enough for DecodeConfig, a bomb
// if decoded.
func pngHeaderOnly(w, h uint32) []byte { return pngHeaderOfDepth(w, h, 8) }

// pngHeaderOfDepth is pngHeaderOnly with depth bits per RGBA channel (8 or 16).
func pngHeaderOfDepth(w, h uint32, depth byte) []byte {
	out := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, 6, 0, 0, 0) // RGBA
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

// webp1x1 is a 1x1 lossless WebP (the image Modernizr uses to detect support).
const webp1x1 = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="

func TestAvatarUploadsAreDecodedScaledAndReEncoded(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(t, f, "alice", forum.RoleMember)
	v := m.Viewer()
	webp, _ := base64.StdEncoding.DecodeString(webp1x1)
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, testImage(50, 40), nil); err != nil {
		t.Fatal(err)
	}
	// A GIF with a script appended after its trailer: a polyglot that some browsers once sniffed as HTML.
	polyglot := append(gifBuf.Bytes(), []byte("<script>alert(document.cookie)</script>")...)

	cases := []struct {
		name         string
		upload       []byte
		contentType  string
		width, heigh int
	}{
		{"large PNG", encodePNG(t, testImage(1600, 1200)), "image/png", 400, 300},
		{"tall PNG", encodePNG(t, testImage(300, 900)), "image/png", 133, 400},
		{"small PNG is not enlarged", encodePNG(t, testImage(64, 64)), "image/png", 64, 64},
		{"JPEG turned upright by EXIF", jpegWithEXIF(t, testImage(800, 400), 6), "image/jpeg", 200, 400},
		{"GIF with trailing script", polyglot, "image/png", 50, 40},
		{"WebP", webp, "image/png", 1, 1},
	}
	var lastPath string
	for _, c := range cases {
		path, err := f.SetAvatar(ctx, v, m.ID, c.upload)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		name := strings.TrimPrefix(path, forum.AvatarPathPrefix)
		img, err := f.Avatar(ctx, name)
		if err != nil {
			t.Fatalf("%s: load %s: %v", c.name, path, err)
		}
		if img.ContentType != c.contentType || img.Width != c.width || img.Height != c.heigh {
			t.Errorf("%s: stored %s %dx%d, want %s %dx%d", c.name, img.ContentType, img.Width, img.Height, c.contentType, c.width, c.heigh)
		}
		decoded, format, err := image.Decode(bytes.NewReader(img.Data))
		if err != nil || "image/"+format != img.ContentType || decoded.Bounds().Dx() != img.Width {
			t.Errorf("%s: stored bytes decode as %s (%v)", c.name, format, err)
		}
		for _, leak := range []string{"Exif", "SECRET-HOME", "<script"} {
			if bytes.Contains(img.Data, []byte(leak)) {
				t.Errorf("%s: stored image still contains %q", c.name, leak)
			}
		}
		if c.name == "JPEG turned upright by EXIF" {
			// Red was on the left of the sideways photo; a quarter turn clockwise puts it on top.
			r, _, b, _ := decoded.At(100, 20).RGBA()
			if r < b {
				t.Errorf("EXIF orientation not applied: top of the avatar is not red")
			}
		}
		if path == lastPath {
			t.Errorf("%s: same path as the previous upload", c.name)
		}
		lastPath = path
	}

	// Only the latest avatar is kept, and the actor points at it.
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM avatars WHERE member_id = $1", m.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d avatars stored (%v), want 1", n, err)
	}
	a, err := f.ActorByID(ctx, m.ID)
	if err != nil || a.AvatarURL != lastPath {
		t.Fatalf("avatar_url %q, want %q (%v)", a.AvatarURL, lastPath, err)
	}
	if err := f.RemoveAvatar(ctx, v, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Avatar(ctx, strings.TrimPrefix(lastPath, forum.AvatarPathPrefix)); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("removed avatar still served: %v", err)
	}
	if a, _ := f.ActorByID(ctx, m.ID); a.AvatarURL != "" {
		t.Fatalf("avatar_url %q after removal", a.AvatarURL)
	}
}

func TestAvatarUploadsThatAreNotImagesAreRefused(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(t, f, "bob", forum.RoleMember)
	other := forumtest.Member(t, f, "carl", forum.RoleMember)
	truncated := encodePNG(t, testImage(100, 100))
	truncated = truncated[:len(truncated)/2]
	cases := map[string][]byte{
		"empty":                          {},
		"HTML named like an image":       []byte("<html><script>alert(1)</script></html>"),
		"JSON":                           []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Note"}`),
		"SVG":                            []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
		"PNG magic then garbage":         append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 100)...),
		"truncated PNG":                  truncated,
		"oversize":                       append(encodePNG(t, testImage(10, 10)), make([]byte, forum.MaxAvatarBytes)...),
		"decompression bomb (60k x 60k)": pngHeaderOnly(60000, 60000),
	}
	for name, upload := range cases {
		_, err := f.SetAvatar(ctx, m.Viewer(), m.ID, upload)
		var ve *forum.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != "avatar" {
			t.Errorf("%s: got %v, want a validation error on avatar", name, err)
		}
	}
	if _, err := f.SetAvatar(ctx, other.Viewer(), m.ID, encodePNG(t, testImage(10, 10))); !errors.Is(err, forum.ErrForbidden) {
		t.Errorf("setting someone else's avatar: %v", err)
	}
	for _, name := range []string{"../../etc/passwd", "abc.png", strings.Repeat("A", 32) + ".png", strings.Repeat("a", 32) + ".gif"} {
		if _, err := f.Avatar(ctx, name); !errors.Is(err, forum.ErrNotFound) {
			t.Errorf("avatar %q: %v", name, err)
		}
	}
}

// Decoding is bounded in bytes, not only in pixels: 25 megapixels of 16-bit RGBA (a 200 KB file
// of zeros) would take 200 MB, and a few at once would take the server down. The same size in
// 8-bit colour is within the bound.
func TestAvatarDecodingIsBoundedByColourDepth(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(t, f, "bob", forum.RoleMember)
	_, err := f.SetAvatar(ctx, m.Viewer(), m.ID, pngHeaderOfDepth(5000, 5000, 16))
	var ve *forum.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Problems[0].Message, "colour depth") {
		t.Errorf("a 16-bit 25-megapixel PNG: %v, want refused for its depth before decoding", err)
	}
	// The 8-bit header passes the size checks and fails only when decoded (it has no pixels).
	_, err = f.SetAvatar(ctx, m.Viewer(), m.ID, pngHeaderOfDepth(5000, 5000, 8))
	if !errors.As(err, &ve) || strings.Contains(ve.Problems[0].Message, "colour depth") || strings.Contains(ve.Problems[0].Message, "megapixels") {
		t.Errorf("an 8-bit 25-megapixel PNG: %v, want it past the size checks", err)
	}
}

// A member may upload 20 avatars an hour; the next upload is refused before it is decoded.
func TestAvatarUploadsAreRateLimited(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(t, f, "bob", forum.RoleMember)
	other := forumtest.Member(t, f, "carl", forum.RoleMember)
	small := encodePNG(t, testImage(10, 10))
	for i := range 20 {
		if _, err := f.SetAvatar(ctx, m.Viewer(), m.ID, small); err != nil {
			t.Fatalf("upload %d: %v", i+1, err)
		}
	}
	if _, err := f.SetAvatar(ctx, m.Viewer(), m.ID, small); !errors.Is(err, forum.ErrRateLimited) {
		t.Errorf("the 21st upload in an hour: %v, want ErrRateLimited", err)
	}
	if _, err := f.SetAvatar(ctx, other.Viewer(), other.ID, small); err != nil {
		t.Errorf("another member's upload: %v", err)
	}
}
