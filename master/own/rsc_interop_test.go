package own_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/master/own"
	"github.com/hbd-ha/hbd/master/sim"
	"github.com/hbd-ha/hbd/wire"
)

// controlFields are added by send_cluster_msg, not by the resource code.
var controlFields = []string{"src", "srcuuid", "seq", "hg", "ts", "ld", "ttl", "auth", "destuuid"}

// shape is a message's type, info and its own field names in order.
func shape(tb testing.TB, b []byte) (key string, fields []string) {
	var p wire.Packet
	if err := p.Decode(b); err != nil {
		tb.Fatal(err)
	}
	for i := range p.Msg.Len() {
		name := string(p.Msg.At(i).Name)
		if !slices.Contains(controlFields, name) && name != "hbd_groups" {
			fields = append(fields, name)
		}
	}
	return string(p.Msg.Type()) + "/" + string(p.Msg.Value(wire.FieldInfo)), fields
}

// TestResourceMessageShapes: every resource-protocol message hbd sends has
// the fields heartbeat 3.0.6 puts in a message of that type and info, in
// the same order (captured from a real pair), plus hbd_groups at the end
// of resource messages.
func TestResourceMessageShapes(t *testing.T) {
	dir := "../../testdata/vectors/bcast-sha1"
	files, _ := filepath.Glob(filepath.Join(dir, "*.bin"))
	want := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		k, fields := shape(t, b)
		want[k] = fields
	}
	s, err := sim.New(sim.Options{
		Nodes: []string{"node1", "node2"}, Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond,
		Initdead: 2 * time.Second, Trace: true, Resources: true, Failback: own.FailbackOn,
		Groups: []own.GroupConfig{{Key: "ip1", Node: "node1"}}, ActionTime: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	grab := func() {
		for k, b := range s.LastSent {
			kk, _ := shape(t, b)
			got[kk] = b
			_ = k
		}
	}
	_ = s.Start(0)
	_ = s.Start(1)
	s.RunFor(time.Second)
	grab()
	_ = s.SendText(0, ">>>\nt=ask_resources\nrsc_hold=all\ninfo=me\n<<<\n")
	s.RunFor(time.Second)
	grab()
	s.Crash(1)
	s.RunFor(2 * time.Second)
	grab()
	s.Shutdown(0)
	s.RunFor(2 * time.Second)
	grab()
	checked := 0
	for k, b := range got {
		if !strings.HasPrefix(k, "starting/") && !strings.HasPrefix(k, "resource/") && !strings.HasPrefix(k, "ask_resources/") &&
			!strings.HasPrefix(k, "stonith/") && !strings.HasPrefix(k, "shutdone/") && !strings.HasPrefix(k, "ip-request-resp/") {
			continue
		}
		w, ok := want[k]
		if !ok {
			continue // the capture has no message of this type and info
		}
		_, g := shape(t, b)
		if !slices.Equal(g, w) {
			t.Errorf("%s: fields %v, heartbeat sends %v", k, g, w)
		}
		checked++
	}
	if checked < 6 {
		t.Errorf("only %d message kinds compared: %v", checked, slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		}))
	}
}
