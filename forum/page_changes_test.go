package forum

import (
	"context"
	"testing"
	"time"
)

// The page generation: this process's own writes move it as they commit, with no listener at
// all; another process's writes move it through the listener (and drop the site settings it
// keeps); and it is live only while the listener is subscribed.
func TestThePageGenerationMovesWithEveryChange(t *testing.T) {
	t.Parallel()
	elsewhere, here, admin := twoProcesses(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	gen, live := here.PageGeneration()
	if live {
		t.Fatal("live before any listener subscribed")
	}
	if _, err := here.CreateCategory(ctx, admin, NewCategory{Slug: "here", Title: "Here"}); err != nil {
		t.Fatal(err)
	}
	if now, _ := here.PageGeneration(); now == gen {
		t.Fatal("a write of this process did not move the generation by the time it returned")
	}

	done := listen(t, ctx, here)
	if _, live := here.PageGeneration(); !live {
		t.Fatal("not live with the listener subscribed")
	}
	gen, _ = here.PageGeneration()
	if _, err := elsewhere.CreateCategory(ctx, admin, NewCategory{Slug: "elsewhere", Title: "Elsewhere"}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if now, _ := here.PageGeneration(); now != gen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("another process's write never moved the generation")
		}
	}
	// The site settings, which every process keeps in memory for 30 s, are dropped at once too.
	if _, err := here.SiteSettings(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := elsewhere.UpdateSiteSettings(ctx, admin, SiteSettingsInput{SiteName: "Renamed elsewhere", RegistrationOpen: true}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if s, err := here.SiteSettings(ctx); err == nil && s.SiteName == "Renamed elsewhere" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("another process's new site name was not seen within 10 s")
		}
	}
	cancel()
	<-done
	if _, live := here.PageGeneration(); live {
		t.Fatal("still live with the listener stopped")
	}
}
