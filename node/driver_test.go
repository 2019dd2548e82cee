package node

import (
	"slices"
	"testing"

	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/wire"
)

// Events reach the consumers registered for their kind, in order; a
// message also reaches the owners of its type, and only those; inputs
// consumers produce wait in the queue for the next turn.
func TestDriverRoutes(t *testing.T) {
	l, err := loop.New(loop.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n := &Node{loop: l}
	n.drv.turn.Init(func(int64) {})
	var got []string
	n.drv.onEvent(func(e *master.Event) { got = append(got, "first "+e.Kind.String()) }, master.EventNodeStatus, master.EventMessage)
	n.drv.onEvent(func(e *master.Event) { got = append(got, "second "+e.Kind.String()) }, master.EventNodeStatus)
	n.drv.onMessage(func(e *master.Event, m *wire.Message) {
		got = append(got, "owner "+string(m.Type()))
		n.later(func() { got = append(got, "fed") })
	}, "ccm", "cib")

	keys := wire.NewKeyring()
	if err := keys.SetKey(1, wire.SHA1, []byte("k")); err != nil {
		t.Fatal(err)
	}
	if err := keys.SetSigner(1); err != nil {
		t.Fatal(err)
	}
	packet := func(typ string) []byte {
		var m wire.Message
		m.AddString(wire.FieldType, typ)
		b, err := keys.AppendPacket(nil, &m, false)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	n.dispatch(&master.Event{Kind: master.EventNodeStatus})
	n.dispatch(&master.Event{Kind: master.EventMessage, Msg: packet("cib")})
	n.dispatch(&master.Event{Kind: master.EventMessage, Msg: packet("crmd")})
	n.dispatch(&master.Event{Kind: master.EventLinkStatus})
	want := []string{"first node-status", "second node-status", "first message", "owner cib", "first message"}
	if !slices.Equal(got, want) {
		t.Errorf("routed %q, want %q", got, want)
	}
	if len(n.drv.queue) != 1 || !n.drv.turn.Pending() {
		t.Fatalf("queued %d inputs, turn pending %v; want 1, true", len(n.drv.queue), n.drv.turn.Pending())
	}
	n.drv.queue[0]()
	if got[len(got)-1] != "fed" {
		t.Error("the queued input was not the consumer's")
	}
}
