package web

import (
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

func TestHeaderCountsShowCappedAndOnlyWhenThereIsSomething(t *testing.T) {
	t.Parallel()
	member := forum.Viewer{ActorID: 3, Username: "ann", Role: forum.RoleMember}
	mod := forum.Viewer{ActorID: 4, Username: "mo", Role: forum.RoleModerator}
	cases := []struct {
		p              page
		notes, reports string // "" for absent
	}{
		{page{Viewer: member}, "", ""},
		{page{Viewer: member, Counts: forum.HeaderCounts{UnreadNotifications: 3, OpenReports: 5}}, "3", ""},
		{page{Viewer: member, Counts: forum.HeaderCounts{UnreadNotifications: forum.CountCap}}, "99+", ""},
		{page{Viewer: mod, Counts: forum.HeaderCounts{OpenReports: 2}}, "", "2"},
	}
	for i, c := range cases {
		d := renderComponent(t, accountNav(c.p))
		if firstByTestID(d, "nav-notifications") == nil {
			t.Errorf("case %d: no notifications link", i)
		}
		for id, want := range map[string]string{"nav-notifications-count": c.notes, "nav-reports-count": c.reports} {
			n := firstByTestID(d, id)
			switch {
			case want == "" && n != nil:
				t.Errorf("case %d: unexpected %s %q", i, id, text(n))
			case want != "" && (n == nil || text(n) != want):
				t.Errorf("case %d: %s = %v, want %q", i, id, n, want)
			}
		}
	}
	if firstByTestID(renderComponent(t, accountNav(page{Viewer: forum.Guest})), "nav-notifications") != nil {
		t.Error("a guest has a notifications link")
	}
	box := renderComponent(t, searchBox(page{}))
	if f := firstByTestID(box, "search-box"); attr(f, "action") != "/search" || findAttr(f, "name", "q") == nil {
		t.Error("the search box does not search")
	}
}

func TestWatchControlPressesTheCurrentLevel(t *testing.T) {
	t.Parallel()
	d := renderComponent(t, watchControl("/t/5/watch", "/t/5?page=2", forum.Muted, "hint"))
	form := firstByTestID(d, "watch")
	if attr(form, "method") != "post" || attr(form, "action") != "/t/5/watch" || attr(findAttr(form, "name", "next"), "value") != "/t/5?page=2" {
		t.Fatalf("form %v", form.Attr)
	}
	for _, l := range forum.WatchLevels {
		b := firstByTestID(d, "watch-"+string(l))
		if attr(b, "name") != "level" || attr(b, "value") != string(l) || attr(b, "type") != "submit" {
			t.Errorf("%s button %v", l, b.Attr)
		}
		if want := ariaBool(l == forum.Muted); attr(b, "aria-pressed") != want {
			t.Errorf("%s aria-pressed %q, want %q", l, attr(b, "aria-pressed"), want)
		}
	}
}

func TestHighlightedFragmentsAreTextWithMarks(t *testing.T) {
	t.Parallel()
	d := renderComponent(t, highlighted([]forum.Fragment{{Text: "<b>not bold</b> "}, {Text: "match", Match: true}}))
	if hasElement(d, "b") || !hasElement(d, "mark") || text(d) != "<b>not bold</b> match" {
		t.Fatalf("rendered %q", text(d))
	}
	if got := snippetHTML([]forum.Fragment{{Text: "a & <i>"}, {Text: "b", Match: true}}); got != "a &amp; &lt;i&gt;<mark>b</mark>" {
		t.Fatalf("snippet HTML %q", got)
	}
}

func TestThreadRowLinksItsUnreadCountToTheFirstUnreadPost(t *testing.T) {
	t.Parallel()
	row := forum.ThreadSummary{Thread: forum.Thread{ID: 7, Title: "T", LastPostAt: time.Now(), PostCount: 9}, Unread: 4}
	d := renderComponent(t, threadRow(row, false))
	badge := firstByTestID(d, "unread-count")
	if badge == nil || attr(badge, "href") != "/t/7/unread" || text(badge)[:1] != "4" {
		t.Fatalf("badge %v", badge)
	}
	row.Unread = 0
	if firstByTestID(renderComponent(t, threadRow(row, false)), "unread-count") != nil {
		t.Fatal("a badge with nothing unread")
	}
}

func TestReportItemOffersWhatFits(t *testing.T) {
	t.Parallel()
	v := adminReportsView{Viewer: forum.Viewer{ActorID: 1, Role: forum.RoleModerator}}
	withPost := forum.Report{ID: 3, TargetID: 9, TargetName: "bob", TargetMember: true, ReporterName: "ann",
		Posts: []forum.ReportedPost{{PostID: 11, ThreadTitle: "T", Position: 2, Excerpt: "<i>rude</i>"}}}
	d := renderComponent(t, reportItem(v, withPost))
	for _, id := range []string{"report-dismiss", "report-hide_post", "report-delete_post", "report-ban"} {
		if firstByTestID(d, id) == nil {
			t.Errorf("no %s", id)
		}
	}
	if text(firstByTestID(d, "report-excerpt")) != "<i>rude</i>" || hasElement(firstByTestID(d, "report-excerpt"), "i") {
		t.Error("the excerpt is not shown as text")
	}
	remote := forum.Report{ID: 4, TargetID: 12, TargetName: "troll", TargetHost: "elsewhere.example", ReporterName: "ann"}
	d = renderComponent(t, reportItem(v, remote))
	if firstByTestID(d, "report-ban") != nil || firstByTestID(d, "report-hide_post") != nil || firstByTestID(d, "report-dismiss") == nil {
		t.Error("a remote account report offers a ban or a hide")
	}
}
