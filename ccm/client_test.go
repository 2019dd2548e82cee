package ccm

import (
	"bytes"
	"os"
	"testing"
)

// TestClientPairTrace: the pair of frames ccm_testclient read from the
// real ccm on node1 of two (traces/v2-helpers: one 580-byte read), built
// from the membership it describes. The pad byte after each name is
// uninitialised memory in ccm; it is masked.
func TestClientPairTrace(t *testing.T) {
	want, err := os.ReadFile("testdata/client-pair.bin")
	if err != nil {
		t.Fatal(err)
	}
	ev := Event{Kind: EventMembership, Instance: 2, Quorum: true,
		Members: []Member{{Name: "node1", Index: 0, Born: 2}, {Name: "node2", Index: 1, Born: 1}}}
	got := AppendClientPair(nil, []string{"node1", "node2"}, 0, ev)
	if len(got) != len(want) {
		t.Fatalf("%d bytes, trace has %d", len(got), len(want))
	}
	// pad bytes: header 8 + 12, then entry i's last byte
	for i := range 2 {
		off := 8 + 12 + llmEntry*i + llmEntry - 1
		want[off] = 0
	}
	if !bytes.Equal(got, want) {
		t.Errorf("frames differ\n got %x\nwant %x", got, want)
	}
}

func TestInfluxFrame(t *testing.T) {
	want := []byte{4, 0, 0, 0, 0xcd, 0xab, 0, 0, 3, 0, 0, 0}
	if got := AppendInfluxFrame(nil); !bytes.Equal(got, want) {
		t.Errorf("%x, want %x", got, want)
	}
}

func TestLLMLongName(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 300))
	b := AppendLLMFrame(nil, []string{long}, 0)
	if len(b) != 8+12+llmEntry {
		t.Fatalf("len %d", len(b))
	}
	if b[8+12+4+254] != 0 {
		t.Error("name not NUL-terminated")
	}
}

// The real ccm's pair, as ccm_testclient read it, decodes to the
// membership it carries; a partial frame waits for more bytes.
func TestDecodeClientFrames(t *testing.T) {
	b, err := os.ReadFile("testdata/client-pair.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, n, err := DecodeClientFrame(b[:100]); n != 0 || err != nil {
		t.Fatalf("partial frame: n %d err %v", n, err)
	}
	llm, n, err := DecodeClientFrame(b)
	if err != nil || llm.Kind != 0 || llm.Me != 0 || len(llm.Nodes) != 2 || llm.Nodes[0] != "node1" || llm.Nodes[1] != "node2" {
		t.Fatalf("node table %+v n %d err %v", llm, n, err)
	}
	mem, k, err := DecodeClientFrame(b[n:])
	if err != nil || n+k != len(b) {
		t.Fatalf("membership: n %d of %d err %v", n+k, len(b), err)
	}
	ev := mem.Membership
	if mem.Kind != EventMembership || ev.Instance != 2 || !ev.Quorum || len(ev.Members) != 2 ||
		ev.Members[0] != (Member{Index: 0, Born: 2}) || ev.Members[1] != (Member{Index: 1, Born: 1}) {
		t.Errorf("membership %+v", mem)
	}
	if f, _, err := DecodeClientFrame(AppendInfluxFrame(nil)); err != nil || f.Kind != EventInflux {
		t.Errorf("influx: %+v %v", f, err)
	}
	if _, _, err := DecodeClientFrame([]byte{4, 0, 0, 0, 0xcd, 0xab, 0, 0, 9, 0, 0, 0}); err == nil {
		t.Error("event 9 decoded")
	}
}
