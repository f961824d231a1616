package forum

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // decoders register themselves with package image
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// Avatar limits.
const (
	MaxAvatarBytes = 2 << 20
	// MaxAvatarSide is the largest width or height stored; bigger images are scaled down.
	MaxAvatarSide = 400
	// maxAvatarSourcePixels refuses decompression bombs: a 2 MiB file can declare a 60,000 x
	// 60,000 image. 25 megapixels admits any phone photo.
	maxAvatarSourcePixels = 25_000_000
	// maxAvatarDecodedBytes bounds what one decode allocates, whatever the colour depth: 25
	// megapixels of 16-bit RGBA, a 200 KB PNG of zeros, would decode to 200 MB.
	maxAvatarDecodedBytes = 100 << 20
	// avatarDecodes is how many uploads one process decodes at once (Forum.avatarSlots); the
	// others wait their turn, so a burst of uploads costs time, not memory.
	avatarDecodes = 2
	// AvatarPathPrefix is where avatars are served. Local actors' avatar_url is this path plus the
	// avatar's name; federation makes it absolute with the public URL.
	AvatarPathPrefix = "/avatars/"
)

// AvatarImage is a stored avatar, ready to serve.
type AvatarImage struct {
	Name        string    `db:"name"`
	ContentType string    `db:"content_type"`
	Width       int       `db:"width"`
	Height      int       `db:"height"`
	Data        []byte    `db:"data"`
	CreatedAt   time.Time `db:"created_at"`
}

var errNotAnImage = Invalid("avatar", "must be a PNG, JPEG, GIF or WebP image")

// processAvatar decodes an upload by what its bytes are (never by its name or declared type),
// scales it to fit MaxAvatarSide, turns it upright by its EXIF orientation, and encodes it anew:
// JPEG for JPEG photos, PNG for the rest (which keeps transparency). Only pixels are copied into
// the new file, so EXIF (location, camera serial), comments and anything hidden after the image
// data are gone by construction.
func processAvatar(data []byte) (AvatarImage, error) {
	if len(data) == 0 {
		return AvatarImage{}, Invalid("avatar", "is empty")
	}
	if len(data) > MaxAvatarBytes {
		return AvatarImage{}, Invalid("avatar", "must be at most %d MiB", MaxAvatarBytes>>20)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return AvatarImage{}, errNotAnImage
	}
	pixels := int64(cfg.Width) * int64(cfg.Height)
	if cfg.Width <= 0 || cfg.Height <= 0 || pixels > maxAvatarSourcePixels {
		return AvatarImage{}, Invalid("avatar", "must be at most %d megapixels", maxAvatarSourcePixels/1_000_000)
	}
	if pixels*bytesPerPixel(cfg.ColorModel) > maxAvatarDecodedBytes {
		return AvatarImage{}, Invalid("avatar", "is too large for its colour depth: at most %d megapixels of 16-bit colour",
			maxAvatarDecodedBytes/8/1_000_000)
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return AvatarImage{}, errNotAnImage
	}
	img := fitWithin(src, MaxAvatarSide)
	if format == "jpeg" {
		img = orient(img, jpegOrientation(data))
	}
	var buf bytes.Buffer
	out := AvatarImage{Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	if format == "jpeg" {
		out.ContentType = "image/jpeg"
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 88})
	} else {
		out.ContentType = "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img)
	}
	if err != nil {
		return AvatarImage{}, fmt.Errorf("encode avatar: %w", err)
	}
	out.Data = buf.Bytes()
	return out, nil
}

// bytesPerPixel is what decoding an image of colour model m allocates per pixel (image.Decode's
// in-memory formats), erring high for models it does not know.
func bytesPerPixel(m color.Model) int64 {
	if _, ok := m.(color.Palette); ok { // first: a palette (a slice) must not meet == below
		return 1
	}
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3 // 4:4:4 at most; subsampled JPEGs take less
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		return 4
	}
	return 8
}

// fitWithin returns a copy of src scaled down (never up) so neither side exceeds side, in a fresh
// NRGBA image whatever the source's colour model.
func fitWithin(src image.Image, side int) *image.NRGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/w)
		} else {
			w, h = max(1, w*side/h), side
		}
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Src)
		return dst
	}
	// A cheap box pass first when shrinking a lot: Catmull-Rom over a 24-megapixel photo costs
	// seconds, and from twice the target size it looks the same.
	if b.Dx() > 4*w && b.Dy() > 4*h {
		mid := image.NewNRGBA(image.Rect(0, 0, 2*w, 2*h))
		xdraw.ApproxBiLinear.Scale(mid, mid.Bounds(), src, b, draw.Src, nil)
		src, b = mid, mid.Bounds()
	}
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	return dst
}

func randomAvatarName(contentType string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random avatar name: %w", err)
	}
	ext := ".png"
	if contentType == "image/jpeg" {
		ext = ".jpg"
	}
	return hex.EncodeToString(b) + ext, nil
}

// validAvatarName accepts exactly what randomAvatarName makes, so a bad URL costs no query.
func validAvatarName(name string) bool {
	base, ok := strings.CutSuffix(name, ".png")
	if !ok {
		base, ok = strings.CutSuffix(name, ".jpg")
	}
	if !ok || len(base) != 32 {
		return false
	}
	_, err := hex.DecodeString(base)
	return err == nil && strings.ToLower(base) == base
}

// SetAvatar replaces a member's avatar with an uploaded image (see processAvatar) and returns its
// path. Members set their own; admins anyone's. The old image is deleted, actors.avatar_url points
// at the new one, and an Update of the actor is recorded for federation.
func (f *Forum) SetAvatar(ctx context.Context, by Viewer, memberID int64, upload []byte) (string, error) {
	if err := canEditProfile(by, memberID); err != nil {
		return "", fmt.Errorf("set avatar: %w", err)
	}
	if err := f.inTx(ctx, func(tx pgx.Tx) error {
		if limited, err := avatarPerMember.take(ctx, tx, strconv.FormatInt(memberID, 10)); err != nil {
			return err
		} else if limited {
			return ErrRateLimited
		}
		return nil
	}); err != nil {
		return "", fmt.Errorf("set avatar: %w", err)
	}
	select {
	case f.avatarSlots <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("set avatar: %w", ctx.Err())
	}
	img, err := processAvatar(upload)
	<-f.avatarSlots
	if err != nil {
		return "", err
	}
	if img.Name, err = randomAvatarName(img.ContentType); err != nil {
		return "", err
	}
	path := AvatarPathPrefix + img.Name
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockMemberRole(ctx, tx, memberID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM avatars WHERE member_id = $1`, memberID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO avatars (name, member_id, content_type, width, height, data)
			VALUES ($1, $2, $3, $4, $5, $6)`, img.Name, memberID, img.ContentType, img.Width, img.Height, img.Data); err != nil {
			return err
		}
		return f.setAvatarURL(ctx, tx, memberID, &path)
	})
	if err != nil {
		return "", fmt.Errorf("set avatar: %w", err)
	}
	return path, nil
}

// RemoveAvatar deletes a member's avatar.
func (f *Forum) RemoveAvatar(ctx context.Context, by Viewer, memberID int64) error {
	if err := canEditProfile(by, memberID); err != nil {
		return fmt.Errorf("remove avatar: %w", err)
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockMemberRole(ctx, tx, memberID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM avatars WHERE member_id = $1`, memberID); err != nil {
			return err
		}
		return f.setAvatarURL(ctx, tx, memberID, nil)
	})
	if err != nil {
		return fmt.Errorf("remove avatar: %w", err)
	}
	return nil
}

func (f *Forum) setAvatarURL(ctx context.Context, tx pgx.Tx, memberID int64, path *string) error {
	tag, err := tx.Exec(ctx, `UPDATE actors SET avatar_url = $2, updated_at = now() WHERE id = $1 AND domain IS NULL`, memberID, path)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("member %d: %w", memberID, ErrNotFound)
	}
	_, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbUpdate, ActorID: memberID, TargetActorID: &memberID})
	return err
}

// Avatar loads a stored avatar by name.
func (f *Forum) Avatar(ctx context.Context, name string) (AvatarImage, error) {
	if !validAvatarName(name) {
		return AvatarImage{}, fmt.Errorf("avatar %q: %w", name, ErrNotFound)
	}
	rows, err := f.db.Query(ctx, `SELECT name, content_type, width, height, data, created_at FROM avatars WHERE name = $1`, name)
	if err != nil {
		return AvatarImage{}, fmt.Errorf("avatar: %w", err)
	}
	img, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[AvatarImage])
	if err != nil {
		return AvatarImage{}, notFound(err, "avatar "+name)
	}
	return img, nil
}

// canEditProfile: members edit their own profile, admins anyone's.
func canEditProfile(by Viewer, memberID int64) error {
	switch {
	case by.IsAdmin():
		return nil
	case !by.SignedIn():
		return ErrUnauthorized
	case by.ActorID != memberID:
		return ErrForbidden
	}
	return nil
}
