package forum

import "testing"

// What was current when the listener was lost is remembered until it comes back: a copy made at
// that generation, with its scope's count as it then stood, and no other.
func TestWhatWasCurrentWhenTheListenerWasLostIsRemembered(t *testing.T) {
	t.Parallel()
	var c keyedChanges
	if c.currentWhenLost(0, 2, 0) {
		t.Fatal("current when lost before the listener ever subscribed")
	}
	// Nothing changed at all before the loss: every copy of that generation is current.
	c.subscribed()
	gen := c.gen.Load()
	c.lost()
	if !c.currentWhenLost(gen, 2, 0) {
		t.Error("a copy made at the lost generation, nothing having changed, is not current")
	}
	c.subscribed()
	gen = c.gen.Load()
	c.keyChanged(1)
	afterChange := c.keySeq(1)
	if c.currentWhenLost(gen, 2, 0) {
		t.Fatal("current when lost while the listener is live")
	}
	c.lost()
	c.lost() // a failed attempt to reconnect: what was current stays what it was
	if !c.currentWhenLost(gen, 2, 0) {
		t.Error("a copy of an unchanged key, made at the lost generation, is not current")
	}
	if c.currentWhenLost(gen, 1, 0) {
		t.Error("a copy made before its key changed is current")
	}
	if !c.currentWhenLost(gen, 1, afterChange) {
		t.Error("a copy made after its key changed is not current")
	}
	if c.currentWhenLost(gen-1, 2, 0) {
		t.Error("a copy of an older generation is current")
	}
	// A change to everything before the loss leaves nothing made before it current.
	c.subscribed()
	gen = c.gen.Load()
	c.changed()
	c.lost()
	if c.currentWhenLost(gen, 2, 0) {
		t.Error("a copy made before a change to everything is current")
	}
	c.subscribed()
	if c.currentWhenLost(c.gen.Load(), 2, 0) {
		t.Error("current when lost after the listener came back")
	}
}
