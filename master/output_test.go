package master

import (
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

// What the master produces while its caller handles a Ready comes out in
// the next Ready. The node's API does exactly that: dropping a slow
// client from inside the flush sends its leave notice through the master
// (a packet and our own copy of the message as an event), and a stall
// reported meanwhile logs. All of it used to vanish at Advance.
func TestOutputAfterReadyKept(t *testing.T) {
	p := newPair(t)
	for !p.m[0].CommUp() || p.m[0].NodeStatus(1) != StatusActive {
		p.step()
	}
	a := p.m[0]
	discard(a)
	rd := a.Ready()
	before := len(rd.Packets) + len(rd.Events) + len(rd.Logs)
	var msg wire.Message
	msg.AddString(wire.FieldType, "hbapi-clstat")
	msg.AddString("info", "leave")
	if err := a.Send(p.time(), &msg); err != nil {
		t.Fatal(err)
	}
	// A pause of ours, reported meanwhile, long enough to be logged.
	a.Paused(Time{Mono: p.now + int64(time.Second), Wall: p.wall + 1}, time.Second)
	if after := len(rd.Packets) + len(rd.Events) + len(rd.Logs); after != before {
		t.Fatalf("the handed-out Ready changed: %d outputs, then %d", before, after)
	}
	if !a.HasReady() {
		t.Fatal("HasReady false with output pending")
	}
	a.Advance()
	rd = a.Ready()
	sent, echoed, logged := false, false, false
	for _, pk := range rd.Packets {
		var w wire.Packet
		if w.Decode(pk.Data) == nil && string(w.Msg.Type()) == "hbapi-clstat" {
			sent = true
		}
	}
	for _, e := range rd.Events {
		if e.Kind == EventMessage && e.Node == a.self {
			echoed = true
		}
	}
	for _, l := range rd.Logs {
		if strings.Contains(string(l.Text), "scheduling pause") {
			logged = true
		}
	}
	if !sent || !echoed || !logged {
		t.Errorf("next Ready: packet sent %v, own message event %v, pause logged %v", sent, echoed, logged)
	}
	a.Advance()
	if a.HasReady() {
		t.Error("HasReady true after everything was taken")
	}
}

// A second Ready before Advance would hand out the buffer the caller
// still reads: it panics, as etcd raft's RawNode does.
func TestReadyTwicePanics(t *testing.T) {
	m := lone(t)
	m.Ready()
	defer func() {
		if recover() == nil {
			t.Error("a second Ready without Advance did not panic")
		}
	}()
	m.Ready()
}
