package web

import (
	"context"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// ThreadSyncer catches a thread that lives on another server up with its home (its posts, edits
// and deletions), in the background. cmd/stoa plugs in the inbox; web does not import it.
type ThreadSyncer interface {
	// SyncThread asks for a sync; it returns at once, and asking often costs nothing (the syncer
	// runs one at most every so often per thread).
	SyncThread(ctx context.Context, threadID int64) error
}

// askSync asks for a sync of a mirrored thread someone is reading, so what it missed (a thread
// begun before anyone here followed its category, an edit made while this server was down)
// appears. A failure to ask is logged, never shown: the page shows what is here.
func (s *Server) askSync(r *http.Request, t forum.Thread) {
	if s.sync == nil || t.APID == "" {
		return
	}
	if err := s.sync.SyncThread(r.Context(), t.ID); err != nil {
		s.log.WarnContext(r.Context(), "ask for a thread sync", "thread", t.ID, "err", err)
	}
}
