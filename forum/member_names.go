package forum

import (
	"context"
	"strings"
	"sync"
	"time"
)

// IsLocalMember reports whether username names a member here (a local person, not deleted). The
// Markdown renderer asks it of each @name a post mentions (cmd/stoa wires it into
// markup.Options.LocalMember), so that a name that is no one's stays plain text rather than a
// link to a profile that does not exist. Answers are kept memberNameTTL per name: a post naming
// the same people as the one before asks nothing. When the database cannot answer, the name counts
// as a member: a link too many is better than a mention lost.
func (f *Forum) IsLocalMember(username string) bool {
	key := NormalizeHandle(username)
	if is, ok := f.memberNames.get(key); ok {
		return is
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var is bool
	if err := f.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM actors a JOIN members m ON m.actor_id = a.id
		WHERE a.domain IS NULL AND a.username = $1 AND a.kind = 'person' AND a.deleted_at IS NULL)`, key).Scan(&is); err != nil {
		return true
	}
	f.memberNames.put(key, is)
	return is
}

// memberNameTTL is how long an answer of IsLocalMember is kept: a name taken by a new member is
// linked in posts written a minute after at the latest.
const memberNameTTL = time.Minute

// memberNameCache keeps IsLocalMember's answers; it forgets everything past memberNameMax names
// rather than grow with every name ever written.
type memberNameCache struct {
	mu      sync.Mutex
	answers map[string]memberNameAnswer
}

type memberNameAnswer struct {
	is      bool
	expires time.Time
}

const memberNameMax = 10_000

func (c *memberNameCache) get(key string) (bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[key]
	if !ok || time.Now().After(a.expires) {
		return false, false
	}
	return a.is, true
}

func (c *memberNameCache) put(key string, is bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answers == nil || len(c.answers) >= memberNameMax {
		c.answers = map[string]memberNameAnswer{}
	}
	c.answers[strings.Clone(key)] = memberNameAnswer{is: is, expires: time.Now().Add(memberNameTTL)}
}
