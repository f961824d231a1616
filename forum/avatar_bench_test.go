package forum

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// BenchmarkProcessAvatar measures the whole upload pipeline on a 12-megapixel photo (what a phone
// makes): decode, scale to 400 px, re-encode. It runs in the request, so it bounds how long an
// upload takes.
func BenchmarkProcessAvatar(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	for y := 0; y < 3000; y++ {
		for x := 0; x < 4000; x++ {
			img.SetRGBA(x, y, color.RGBA{R: uint8(x), G: uint8(y), B: uint8(x ^ y), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	if len(data) > MaxAvatarBytes {
		data = data[:0]
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 40}); err != nil {
			b.Fatal(err)
		}
		data = buf.Bytes()
	}
	b.ReportMetric(float64(len(data))/(1<<20), "MiB-input")
	b.ResetTimer()
	for b.Loop() {
		out, err := processAvatar(data)
		if err != nil || out.Width != 400 {
			b.Fatal(err)
		}
	}
}
