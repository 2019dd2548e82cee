package ccm

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/wire"
)

const vectorDir = "testdata/ccm-sha1"

type vector struct {
	name string
	data []byte
	typ  string // t, from index.tsv
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join(vectorDir, "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		data, err := os.ReadFile(filepath.Join(vectorDir, cols[0]))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vector{cols[0], data, cols[6]})
	}
	return out
}

func vectorKeys(t testing.TB) *wire.Keyring {
	k := wire.NewKeyring()
	if err := k.SetKey(3, wire.SHA1, []byte("hbt-testbed-secret")); err != nil {
		t.Fatal(err)
	}
	if err := k.SetSigner(3); err != nil {
		t.Fatal(err)
	}
	return k
}

// TestVectorsRoundTrip: every captured CCM packet decodes into a Msg, and
// the Msg encoded again, followed by the heartbeat fields of the capture
// (destuuid, src, seq, … without the inner auth) and signed, is the
// captured datagram byte for byte.
func TestVectorsRoundTrip(t *testing.T) {
	keys := vectorKeys(t)
	seen := map[Type]int{}
	for _, v := range loadVectors(t) {
		if !strings.HasPrefix(v.typ, "CCM_TYPE_") {
			continue
		}
		var p wire.Packet
		if err := p.Decode(v.data); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if err := keys.Verify(&p); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if !IsCCM(&p.Msg) {
			t.Errorf("%s: to_id is not ccm", v.name)
		}
		var msg Msg
		if err := msg.Decode(&p.Msg); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if msg.Type.String() != v.typ {
			t.Errorf("%s: type %v, index says %s", v.name, msg.Type, v.typ)
		}
		if shapes[msg.Type]&hasStd != 0 && msg.Major2 != msg.Major {
			t.Errorf("%s: the two ccmmajor differ: %d %d", v.name, msg.Major, msg.Major2)
		}
		seen[msg.Type]++
		var out wire.Message
		if err := msg.Encode(&out); err != nil {
			t.Fatal(err)
		}
		// heartbeat's fields follow client_gen.
		i := p.Msg.Index(FieldClientGen)
		if i < 0 || i+1 != out.Len() {
			t.Fatalf("%s: client_gen at %d, ours ends at %d", v.name, i, out.Len())
		}
		for j := 0; j < i+1; j++ {
			a, b := p.Msg.At(j), out.At(j)
			if !bytes.Equal(a.Name, b.Name) || !bytes.Equal(a.Value, b.Value) || a.Type != b.Type {
				t.Errorf("%s: field %d: captured %s=%q, ours %s=%q", v.name, j, a.Name, a.Value, b.Name, b.Value)
			}
		}
		for j := i + 1; j < p.Msg.Len(); j++ {
			if f := p.Msg.At(j); !f.Is(wire.FieldAuth) {
				out.Add(string(f.Name), f.Type, f.Value)
			}
		}
		got, err := keys.AppendPacket(nil, &out, true)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, v.data) {
			t.Errorf("%s (%v): re-encoded packet differs\n got %q\nwant %q", v.name, msg.Type, got, v.data)
		}
	}
	// 12 of the 14 types were captured (no ABORT, no RESTART).
	if len(seen) != 12 {
		t.Errorf("saw %d types, want 12: %v", len(seen), seen)
	}
	t.Logf("round-tripped by type: %v", seen)
}

// TestDecodeValues checks values the spec documents for captured packets.
func TestDecodeValues(t *testing.T) {
	cases := []struct {
		file string
		want func(*Msg) bool
	}{
		{"044.bin", func(m *Msg) bool { // MEM_LIST {1,2} born 2,1
			return m.Type == TypeMemList && m.MemList.Has(1) && m.MemList.Has(2) && !m.MemList.Has(0) &&
				len(m.Uptimes) == 2 && m.Uptimes[0] == 2 && m.Uptimes[1] == 1 && m.Quorum == 1 &&
				m.Cookie == "8\">h`{'qykH$L|" && m.NewCookie == "Ol|NP+r_sODo/S" && m.Src == "node3"
		}},
		{"074.bin", func(m *Msg) bool { // the 3.0.6 quirk: node = the leader
			return m.Type == TypeNodeLeave && m.Node == "node3" && m.Dest == "node3" && m.Uptime == 2
		}},
		{"080.bin", func(m *Msg) bool {
			return m.Type == TypeFinalMemlist && m.MaxTrans == 4 && m.MemList.Count() == 2 && m.Minor == 1
		}},
		{"029.bin", func(m *Msg) bool {
			return m.Type == TypeProtoVersionResp && m.ClSize == 1 && m.Proto == 0 && m.Dest == "node1"
		}},
	}
	for _, c := range cases {
		data, err := os.ReadFile(filepath.Join(vectorDir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		var p wire.Packet
		if err := p.Decode(data); err != nil {
			t.Fatal(err)
		}
		var m Msg
		if err := m.Decode(&p.Msg); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if !c.want(&m) {
			t.Errorf("%s: unexpected %+v", c.file, m)
		}
	}
}

func TestUptimeSwap(t *testing.T) {
	for born, wire := range map[int]int{1: 16777216, 2: 33554432, 3: 50331648, 128: -2147483648, 256: 65536} {
		if got := swapUptime(born); got != wire {
			t.Errorf("swap(%d) = %d, want %d", born, got, wire)
		}
		if got := swapUptime(wire); got != born {
			t.Errorf("swap back(%d) = %d, want %d", wire, got, born)
		}
	}
}

func TestDecodeErrorsNameField(t *testing.T) {
	base := func() *wire.Message {
		var m wire.Message
		(&Msg{Type: TypeMemList, Major: 3, Major2: 3, NumNodes: 3, Cookie: "c", Uptimes: []int{1}, NewCookie: "d"}).Encode(&m)
		return &m
	}
	cases := []struct {
		edit  func(*wire.Message)
		field string
	}{
		{func(m *wire.Message) { m.SetString(FieldType, "CCM_TYPE_BOGUS") }, FieldType},
		{func(m *wire.Message) { m.SetString(FieldMajor, "x") }, FieldMajor},
		{func(m *wire.Message) { m.Remove(m.Index(FieldNumNodes)) }, FieldNumNodes},
		{func(m *wire.Message) { m.SetString(FieldMemList, "AAAA") }, FieldMemList},
		{func(m *wire.Message) { m.SetString(FieldMemList, "!!!!!!!!!!!!!!!!!!!!") }, FieldMemList},
		{func(m *wire.Message) { m.SetString(FieldUptimes, "1") }, FieldUptimes},
		{func(m *wire.Message) { m.Set(FieldUptimes, wire.List, []byte("1:x,")) }, FieldUptimes},
		{func(m *wire.Message) { m.Remove(m.Index(FieldNewCookie)) }, FieldNewCookie},
		{func(m *wire.Message) { m.SetString(FieldQuorum, "") }, FieldQuorum},
		// A control character is no cookie of ccm's (a fuzzed 0x13 came
		// back as LF after a round trip).
		{func(m *wire.Message) { m.SetString(FieldCookie, "c\x13d") }, FieldCookie},
		{func(m *wire.Message) { m.SetString(FieldNewCookie, "d\ne") }, FieldNewCookie},
	}
	for i, c := range cases {
		m := base()
		c.edit(m)
		var msg Msg
		err := msg.Decode(m)
		de, ok := err.(*DecodeError)
		if !ok || de.Field != c.field {
			t.Errorf("case %d: err %v, want a DecodeError naming %s", i, err, c.field)
		}
	}
}

// TestEncodeDecodeEveryType: each type survives encode → decode.
func TestEncodeDecodeEveryType(t *testing.T) {
	for ty := TypeProtoVersion; ty < typeEnd; ty++ {
		in := Msg{Type: ty, Major: 7, Major2: 7, NumNodes: 5, Cookie: `a,b"c'd\e|f=g$`, Uptime: 3, Minor: 2,
			Proto: 0, ClSize: 2, MaxTrans: 7, Quorum: 1, Uptimes: []int{1, 5}, NewCookie: "zzzzzzzzzzzzzz",
			Node: "n2", State: "CCM_STATE_JOINED", Dest: "n1"}
		in.MemList.Set(0)
		in.MemList.Set(99)
		var m wire.Message
		if err := in.Encode(&m); err != nil {
			t.Fatal(err)
		}
		b, err := wire.AppendNetstring(nil, &m)
		if err != nil {
			t.Fatal(err)
		}
		var back wire.Message
		if _, err := back.Decode(b); err != nil {
			t.Fatal(err)
		}
		var out Msg
		if err := out.Decode(&back); err != nil {
			t.Fatalf("%v: %v", ty, err)
		}
		if out.Type != ty || out.Major != 7 || out.Dest != "n1" {
			t.Errorf("%v: %+v", ty, out)
		}
		if shapes[ty]&hasStd != 0 && (out.Cookie != in.Cookie || out.Minor != 2 || out.Uptime != 3) {
			t.Errorf("%v: std header %+v", ty, out)
		}
		if shapes[ty]&hasMemList != 0 && out.MemList != in.MemList {
			t.Errorf("%v: memlist %v", ty, out.MemList)
		}
		if shapes[ty]&hasUptimes != 0 && (len(out.Uptimes) != 2 || out.Uptimes[1] != 5) {
			t.Errorf("%v: uptimes %v", ty, out.Uptimes)
		}
	}
}
