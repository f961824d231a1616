package inbox

import (
	"os"
	"runtime/pprof"
	"testing"
	"time"
)

func TestZZApplyProfile(t *testing.T) {
	h := newHarness(t, func(c *harnessConfig) { c.deferApply = true })
	var actors []*remoteActor
	for i := 0; i < 20; i++ {
		actors = append(actors, h.peers.host("masto.test").actor("Person", "p"+string(rune('a'+i)), testKey(i)))
	}
	for i := 0; i < 400; i++ {
		h.deliver(actors[i%20], h.reply(actors[i%20], i, "hello"))
	}
	f, _ := os.Create("/tmp/apply2.prof")
	pprof.StartCPUProfile(f)
	start := time.Now()
	h.startApplying()
	h.settle()
	pprof.StopCPUProfile()
	t.Logf("applied 400 in %v", time.Since(start))
}
