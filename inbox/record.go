package inbox

import (
	"context"

	"github.com/stoa-forum/stoa/forum"
)

// record stores a verified activity and queues its application: by group commit (recorder.go),
// with the activities verified at about the same time, in one transaction whose commit it waits
// for (the job exists if and only if the activity was recorded, and a replay records and queues
// nothing). fresh is false for an activity already recorded. handedOver runs once the recorder
// has the activity, before the wait: the handler frees its concurrency slot there, so that the
// requests waiting for a commit do not keep others from being verified (and joining the group).
func (ib *Inbox) record(ctx context.Context, in forum.InboundRecord, handedOver func()) (fresh bool, err error) {
	wait, err := ib.recorder.handOver(ctx, in)
	if err != nil {
		return false, err
	}
	handedOver()
	return wait(ctx)
}

// Close commits the activities already handed to the recorder and stops it; later requests are
// answered 503. Call it once the HTTP server has drained, before stopping River.
func (ib *Inbox) Close() { ib.recorder.Close() }
