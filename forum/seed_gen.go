package forum

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// Generation of seeded threads. Everything about thread i (its category, times, post count, authors,
// text, likes, moderation state and who has read it) comes from a random source keyed by (seed, i),
// so any batch can be generated again, alone and in any order, with the same ids and the same rows:
// that is what makes an interrupted seed resumable.

// seedPlan is what generation needs to know beyond the options: fixed at setup, stored, and read
// back on resume.
type seedPlan struct {
	opts          SeedOptions
	now           time.Time // the seed's "now": no post is later
	firstThreadID int64
	firstPostID   int64
	members       []int64 // local members, most active first (authorship is Zipf over this order)
	usernames     []string
	remotes       []int64
	remoteAPIDs   []string // remote actors' ids, for their posts' ids
	categories    []seedCategory
	benchMember   int64
	benchCategory int64
	benchThread   int // index of the long thread the bench member has half read
	counts        []int32
	postOffsets   []int64 // first post id of thread i is firstPostID + postOffsets[i]
	pieces        *seedPieces
}

type seedCategory struct {
	id     int64
	weight float64
}

const (
	// seedReadShare is the share of the bench category's threads the bench member has opened.
	seedReadShare = 0.25
	seedMaxPosts  = 20000
)

// threadRNG is thread i's random source; countRNG draws all post counts (needed before any thread
// is generated, to place post ids).
func (p *seedPlan) threadRNG(i int) *rand.Rand {
	return rand.New(rand.NewPCG(p.opts.RandSeed, uint64(i)+1))
}

// planCounts draws each thread's number of posts: 1 plus a log-normal draw, so most threads are
// short and a few run to thousands, with the mean the options ask for. The bench thread is long.
func (p *seedPlan) planCounts() {
	n := p.opts.Threads
	r := rand.New(rand.NewPCG(p.opts.RandSeed, math.MaxUint64))
	const sigma = 1.3
	// mean of exp(N(mu, sigma)) is exp(mu + sigma^2/2); we want it to be PostsPerThread - 1.
	extra := math.Max(float64(p.opts.PostsPerThread)-1, 0.01)
	mu := math.Log(extra) - sigma*sigma/2
	p.counts = make([]int32, n)
	p.postOffsets = make([]int64, n+1)
	for i := range n {
		c := 1 + int(math.Round(math.Exp(mu+sigma*r.NormFloat64())))
		if i == p.benchThread {
			c = max(c, p.benchThreadPosts())
		}
		p.counts[i] = int32(min(c, seedMaxPosts))
		p.postOffsets[i+1] = p.postOffsets[i] + int64(p.counts[i])
	}
}

// benchThreadPosts sizes the bench thread: long enough for many pages, small against the whole.
func (p *seedPlan) benchThreadPosts() int {
	return min(900, max(3*DefaultPostsPerPage+5, p.opts.Threads*p.opts.PostsPerThread/100))
}

// threadTime is when thread i starts. Activity grows over the years (the density rises fourfold
// from the first day to the last), so most threads are years old and a few percent are inside the
// unread window.
func (p *seedPlan) threadTime(i int, r *rand.Rand) time.Time {
	span := time.Duration(p.opts.Years) * 365 * 24 * time.Hour
	x := (float64(i) + r.Float64()) / float64(p.opts.Threads)
	u := (-1 + math.Sqrt(1+15*x)) / 3 // inverse of F(u) = (u + 1.5u^2) / 2.5
	return p.now.Add(-span).Add(time.Duration(u * float64(span)))
}

// seedPostRow is a post as loaded, with what goes in the other tables.
type seedPostRow struct {
	id, authorID     int64
	position         int
	inReplyTo        *int64
	apID, url        *string
	source, kind     string
	html             string
	mac              []byte
	createdAt        time.Time
	deleted, hidden  *time.Time
	likers           []int64
	title            *string // openers: the thread title, for the search document
	searchBody       string
	local            bool
	remoteAuthorSlot int
}

type seedThreadRow struct {
	id, categoryID, authorID int64
	title                    string
	createdAt, lastPostAt    time.Time
	lastPostID               int64
	postCount                int
	locked, pinned           *time.Time
	hidden, deleted          *time.Time
}

type seedReadRow struct {
	threadID, memberID int64
	upTo               int // positions 1..upTo read
	watching           bool
}

// seedNotificationRow tells a member someone replied to their post.
type seedNotificationRow struct {
	memberID, actorID, threadID, postID int64
	createdAt                           time.Time
	readAt                              *time.Time
}

// seedThreadData is one generated thread with its posts and the rows that hang off them.
type seedThreadData struct {
	thread        seedThreadRow
	posts         []seedPostRow
	reads         []seedReadRow
	notifications []seedNotificationRow
}

// genThread generates thread i.
func (p *seedPlan) genThread(f *Forum, i int) seedThreadData {
	r := p.threadRNG(i)
	n := int(p.counts[i])
	id := p.firstThreadID + int64(i)
	created := p.threadTime(i, r)
	cat := p.pickCategory(r)
	if i == p.benchThread {
		cat = p.benchCategory
		created = p.now.Add(-120 * 24 * time.Hour)
	}
	// Zipf with an offset: a long tail of occasional posters, and the most active member writing
	// about one post in a hundred, not one in five.
	zipf := rand.NewZipf(r, 1.07, 20, uint64(len(p.members)-1))
	opener := int(zipf.Uint64())
	// A thread's replies come mostly from a few regulars: the opener and a small cast.
	cast := make([]int, min(2+n/4, 40))
	for k := range cast {
		cast[k] = int(zipf.Uint64())
	}
	text := seedText{r: r, mentionable: p.usernames[:min(len(p.usernames), 200)]}
	t := seedThreadRow{id: id, categoryID: cat, authorID: p.members[opener], title: text.title(), createdAt: created, postCount: n}

	times := p.postTimes(r, i, created, n)
	posts := make([]seedPostRow, n)
	firstPost := p.firstPostID + p.postOffsets[i]
	lastOwn := map[int64]int{}
	for k := range posts {
		pr := &posts[k]
		pr.id = firstPost + int64(k)
		pr.position = k + 1
		pr.createdAt = times[k]
		pr.local = true
		switch x := r.Float64(); {
		case k == 0:
			pr.authorID = p.members[opener]
		case x < 0.30:
			pr.authorID = p.members[opener]
		case x < 0.35 && len(p.remotes) > 0:
			pr.local = false
			pr.remoteAuthorSlot = r.IntN(len(p.remotes))
			pr.authorID = p.remotes[pr.remoteAuthorSlot]
		default:
			pr.authorID = p.members[cast[r.IntN(len(cast))]]
		}
		if k > 0 && r.IntN(4) == 0 {
			parent := firstPost + int64(max(0, k-1-r.IntN(min(k, 5))))
			pr.inReplyTo = &parent
		}
		pieces := 1 + r.IntN(2)*(1+r.IntN(2))
		if k == 0 {
			pieces = 2 + r.IntN(3)
			pr.title = &t.title
		}
		p.pieces.fill(f, r, pr, pieces)
		if !pr.local {
			u := p.remoteAPIDs[pr.remoteAuthorSlot] + "/statuses/" + strconv.FormatInt(pr.id, 10)
			pr.apID, pr.url = &u, &u
		}
		if k > 0 {
			switch x := r.Float64(); {
			case x < 0.004:
				pr.deleted = later(pr.createdAt, r, p.now)
			case x < 0.0055:
				pr.hidden = later(pr.createdAt, r, p.now)
			}
		}
		if r.Float64() < 0.25 {
			pr.likers = p.pickLikers(r, pr.authorID, 1+int(r.ExpFloat64()*1.2))
		}
		if pr.local {
			lastOwn[pr.authorID] = pr.position
		}
	}
	last := posts[n-1]
	t.lastPostID, t.lastPostAt = last.id, last.createdAt
	p.moderateThread(r, &t, posts)

	reads := make([]seedReadRow, 0, len(lastOwn)+1)
	for m, pos := range lastOwn {
		reads = append(reads, seedReadRow{threadID: id, memberID: m, upTo: pos, watching: true})
	}
	if cat == p.benchCategory && (i == p.benchThread || r.Float64() < seedReadShare) {
		upTo := 1 + r.IntN(n)
		if i == p.benchThread {
			upTo = n / 2
		}
		reads = mergeRead(reads, seedReadRow{threadID: id, memberID: p.benchMember, upTo: upTo})
	}
	slices.SortFunc(reads, func(a, b seedReadRow) int { return cmp.Compare(a.memberID, b.memberID) })
	return seedThreadData{thread: t, posts: posts, reads: reads, notifications: p.replyNotifications(r, id, posts)}
}

// replyNotifications are the notifications of replies to members' posts (what the notification
// job writes for a reply): read a while after the reply, except for half of the last fortnight's.
func (p *seedPlan) replyNotifications(r *rand.Rand, threadID int64, posts []seedPostRow) []seedNotificationRow {
	var out []seedNotificationRow
	first := posts[0].id
	for _, pr := range posts {
		if pr.inReplyTo == nil {
			continue
		}
		parent := posts[*pr.inReplyTo-first]
		if !parent.local || parent.authorID == pr.authorID || pr.deleted != nil || pr.hidden != nil {
			continue
		}
		n := seedNotificationRow{memberID: parent.authorID, actorID: pr.authorID, threadID: threadID, postID: pr.id, createdAt: pr.createdAt}
		if p.now.Sub(pr.createdAt) > 14*24*time.Hour || r.IntN(2) == 0 {
			n.readAt = later(pr.createdAt, r, p.now)
		}
		out = append(out, n)
	}
	return out
}

// postTimes spreads a thread's posts from its start: most threads are busy for hours or days,
// long ones for months, and one in a hundred gets a late reply (so old threads also show up as
// recently active). Times are sorted, so positions follow published order, and never pass now.
func (p *seedPlan) postTimes(r *rand.Rand, i int, created time.Time, n int) []time.Time {
	room := p.now.Sub(created)
	life := time.Duration((2 + float64(n)*6*r.ExpFloat64()) * float64(time.Hour))
	if r.Float64() < 0.01 || i == p.benchThread {
		life = room
	}
	life = min(life, room)
	offsets := make([]float64, n)
	for k := 1; k < n; k++ {
		u := r.Float64()
		offsets[k] = u * u * float64(life) // denser near the start
	}
	slices.Sort(offsets)
	if n > 1 && life == room && i != p.benchThread {
		offsets[n-1] = float64(life) * (0.5 + r.Float64()/2)
		slices.Sort(offsets)
	}
	times := make([]time.Time, n)
	for k := range times {
		times[k] = created.Add(time.Duration(offsets[k])).Truncate(time.Microsecond)
	}
	return times
}

func (p *seedPlan) pickCategory(r *rand.Rand) int64 {
	x := r.Float64()
	for _, c := range p.categories {
		if x < c.weight {
			return c.id
		}
		x -= c.weight
	}
	return p.categories[len(p.categories)-1].id
}

func (p *seedPlan) pickLikers(r *rand.Rand, author int64, n int) []int64 {
	n = min(n, len(p.members)-1, 40)
	out := make([]int64, 0, n)
	for len(out) < n {
		m := p.members[r.IntN(len(p.members))]
		if m != author && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out
}

// moderateThread pins, locks, hides or deletes a few threads, as staff do.
func (p *seedPlan) moderateThread(r *rand.Rand, t *seedThreadRow, posts []seedPostRow) {
	pinShare := min(0.05, 8*float64(len(p.categories))/float64(p.opts.Threads))
	switch x := r.Float64(); {
	case x < pinShare:
		t.pinned = later(t.createdAt, r, p.now)
	case x < pinShare+0.001:
		t.deleted = later(t.lastPostAt, r, p.now)
		posts[0].deleted = t.deleted // deleting the opener is how a thread is deleted
	case x < pinShare+0.0015:
		t.hidden = later(t.lastPostAt, r, p.now)
	case x < pinShare+0.03 && p.now.Sub(t.lastPostAt) > 365*24*time.Hour:
		t.locked = later(t.lastPostAt, r, p.now)
	}
}

// later is a moment after t (by up to a few days), not after now.
func later(t time.Time, r *rand.Rand, now time.Time) *time.Time {
	at := t.Add(time.Duration(r.Float64() * float64(72*time.Hour)))
	if at.After(now) {
		at = now
	}
	at = at.Truncate(time.Microsecond)
	return &at
}

func mergeRead(reads []seedReadRow, x seedReadRow) []seedReadRow {
	for k := range reads {
		if reads[k].memberID == x.memberID {
			reads[k].upTo = max(reads[k].upTo, x.upTo)
			return reads
		}
	}
	return append(reads, x)
}
