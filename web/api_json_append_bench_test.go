package web

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// threadCPU is the CPU time of the calling thread (the benchmark locks itself to one), a measure
// that other processes on a shared machine change far less than wall time.
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCPU runs f b.N times on one locked thread and reports its CPU time per call.
func measureCPU(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU(b)
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(threadCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// benchThreadWithPosts is a page of 30 posts shaped like the seed's: a kilobyte and a half of
// HTML each, local authors, absolute URLs.
func benchThreadWithPosts() apiThreadWithPosts {
	at := time.Date(2026, 11, 23, 9, 30, 1, 123456000, time.Local)
	a := apiAuthor{Handle: "member123@stoa.bench", APID: "http://stoa.bench/users/member123", Local: true, Name: "Member 123",
		URL: "http://stoa.bench/u/member123", Page: "http://stoa.bench/u/member123"}
	body := strings.Repeat("<p>Lorem ipsum dolor sit amet, <em>consectetur</em> adipiscing elit &amp; more.</p>\n", 20)
	out := apiThreadWithPosts{apiThread: apiThread{ID: 123456, Title: "A thread title of some length", URL: "http://stoa.bench/t/123456",
		APID: "http://stoa.bench/threads/123456", Category: "general@stoa.bench", Author: a, CreatedAt: at, LastPostAt: at, PostCount: 40}}
	for i := range 30 {
		out.Posts = append(out.Posts, apiPost{ID: int64(1000 + i), APID: "http://stoa.bench/posts/1000", URL: "http://stoa.bench/p/1000",
			Author: a, BodyHTML: body, CreatedAt: at, LikeCount: i, Position: i + 1})
	}
	return out
}

// The JSON thread endpoint's encoding alone: encoding/json against the appender.
func BenchmarkThreadJSONEncoding(b *testing.B) {
	v := benchThreadWithPosts()
	b.Run("encoding/json", func(b *testing.B) {
		var buf bytes.Buffer
		measureCPU(b, func() {
			buf.Reset()
			if err := json.NewEncoder(&buf).Encode(v); err != nil {
				b.Fatal(err)
			}
		})
		b.SetBytes(int64(buf.Len()))
	})
	b.Run("appended", func(b *testing.B) {
		var out []byte
		measureCPU(b, func() {
			var err error
			if out, err = v.appendJSON(out[:0]); err != nil {
				b.Fatal(err)
			}
		})
		b.SetBytes(int64(len(out)))
	})
}
