package master_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/master/masterconf"
	"github.com/hbd-ha/hbd/wire"
)

// capPkt is one UDP payload from a capture.
type capPkt struct {
	at   float64 // epoch seconds
	src  string  // sender IPv4
	data []byte
}

// readPcap reads the UDP payloads of a classic pcap file (Ethernet or
// Linux cooked link type, IPv4).
func readPcap(t *testing.T, path string) []capPkt {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian microsecond pcap", path)
	}
	linkHdr := 14
	if binary.LittleEndian.Uint32(b[20:]) == 113 {
		linkHdr = 16
	}
	var out []capPkt
	for off := 24; off+16 <= len(b); {
		sec := binary.LittleEndian.Uint32(b[off:])
		usec := binary.LittleEndian.Uint32(b[off+4:])
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		frame := b[off+16 : off+16+n]
		off += 16 + n
		ip := frame[linkHdr:]
		ihl := int(ip[0]&0xf) * 4
		out = append(out, capPkt{
			at:   float64(sec) + float64(usec)/1e6,
			src:  fmt.Sprintf("%d.%d.%d.%d", ip[12], ip[13], ip[14], ip[15]),
			data: ip[ihl+8:],
		})
	}
	return out
}

const (
	node1IP = "198.18.0.11"
	node2IP = "198.18.0.12"
	// Phase boundaries of the capture (its phases.tsv), and when the
	// testbed started node1 each time (its log).
	firstStart  = 1795316771.022683
	secondStart = 1795316792.642972
	killAt      = 1795316790.141482
	rejoinAt    = 1795316792.230152
	endAt       = 1795316795.667767 // shutdown begins
)

// expectedLog reads the node1 lines copied from heartbeat's own log,
// split into its two runs, without the syslog prefix.
func expectedLog(t *testing.T) [2][]string {
	t.Helper()
	b, err := os.ReadFile("testdata/bcast-sha1-node1.log")
	if err != nil {
		t.Fatal(err)
	}
	var runs [2][]string
	run := -1
	for line := range strings.Lines(string(b)) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.Contains(line, "testbed: starting node1"):
			run++
		default:
			_, text, ok := strings.Cut(line, "]: ")
			if !ok {
				t.Fatalf("unexpected line %q", line)
			}
			runs[run] = append(runs[run], text)
		}
	}
	return runs
}

// replayer drives one master, configured as node1 from its captured
// ha.cf and authkeys, with node2's captured datagrams at their capture
// times, as the daemon would: drain what arrived, tick at deadlines, and
// hear its own broadcasts back.
type replayer struct {
	t    *testing.T
	m    *master.Master
	t0   float64
	now  int64
	logs []string
	sent [][]byte
	pend [][]byte
}

func newReplayer(t *testing.T, gen uint64, uuid [16]byte, start float64) *replayer {
	dir := "../testdata/vectors/bcast-sha1"
	env := config.Env{
		ReadFile: func(path string) ([]byte, fs.FileMode, error) {
			name := filepath.Base(path)
			if name == "ha.cf" {
				name = "node1.ha.cf"
			}
			b, err := os.ReadFile(filepath.Join(dir, name))
			return b, 0o600, err
		},
		NodeName:  func() (string, error) { return "node1", nil },
		Interface: func(string) (config.Interface, bool) { return config.Interface{Index: 2, HasIPv4: true}, true },
	}
	c, _, err := config.Load(dir, env)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := masterconf.FromConfig(c, uuid, gen, rand.NewPCG(gen, 1))
	if err != nil {
		t.Fatal(err)
	}
	// This replay re-sends node1's resource messages itself (feed): no
	// resource-ownership layer runs above the master.
	m, err := master.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	return &replayer{t: t, m: m, t0: start}
}

func (r *replayer) time(at float64) master.Time {
	return master.Time{Mono: int64(math.Round((at - r.t0) * 1e9)), Wall: int64(at)}
}

// collect takes Ready, then loops our own broadcasts back.
func (r *replayer) collect(at float64) {
	for {
		rd := r.m.Ready()
		for _, l := range rd.Logs {
			r.logs = append(r.logs, l.String())
		}
		r.pend = r.pend[:0]
		for _, p := range rd.Packets {
			b := bytes.Clone(p.Data)
			r.sent = append(r.sent, b)
			r.pend = append(r.pend, b)
		}
		r.m.Advance()
		if len(r.pend) == 0 {
			return
		}
		for _, b := range slices.Clone(r.pend) {
			r.m.Receive(r.time(at), 0, b)
		}
	}
}

// until ticks at every deadline up to at.
func (r *replayer) until(at float64) {
	end := r.time(at).Mono
	for {
		d := r.m.Deadline()
		if d == 0 || d > end {
			return
		}
		sec := r.t0 + float64(d)/1e9
		r.m.Tick(master.Time{Mono: d, Wall: int64(sec)})
		r.collect(sec)
	}
}

// feed replays the capture between from and to: node2's datagrams are
// received (those that arrived while we were starting are handled as we
// start, as the kernel queued them), and the messages node1's resource
// layer sent (starting, resource, ask_resources, …) are sent again through
// our master, so our sequence numbers keep pace with node1's and node2's
// ACKs and retransmission requests refer to messages we did send.
func (r *replayer) feed(pkts []capPkt, socketOpen, to float64) {
	var p wire.Packet
	for _, c := range pkts {
		if c.at < socketOpen || c.at >= to {
			continue
		}
		at := max(c.at, r.t0)
		switch c.src {
		case node2IP:
			r.until(at)
			r.m.Receive(r.time(at), 0, c.data)
			r.collect(at)
		case node1IP:
			if err := p.Decode(c.data); err != nil {
				r.t.Fatal(err)
			}
			typ := string(p.Msg.Type())
			if typ == "status" || typ == "reqnodes" || typ == "repnodes" || wire.IsProtocol(p.Msg.Type()) {
				continue // membership makes these itself
			}
			var msg wire.Message
			for i := range p.Msg.Len() {
				f := p.Msg.At(i)
				switch string(f.Name) {
				case wire.FieldSrc, wire.FieldSrcUUID, wire.FieldSeq, wire.FieldGeneration, wire.FieldTimestamp,
					wire.FieldLoad, wire.FieldTTL, wire.FieldAuth, wire.FieldDestUUID:
					continue // control fields: the master adds its own
				}
				msg.Add(string(f.Name), f.Type, f.Value)
			}
			r.until(at)
			if err := r.m.Send(r.time(at), &msg); err != nil {
				r.t.Fatal(err)
			}
			r.collect(at)
		}
	}
	r.until(to)
}

func fieldNames(t *testing.T, b []byte) (typ string, names []string) {
	t.Helper()
	var p wire.Packet
	if err := p.Decode(b); err != nil {
		t.Fatal(err)
	}
	for i := range p.Msg.Len() {
		f := p.Msg.At(i)
		names = append(names, fmt.Sprintf("%s(%d)", f.Name, f.Type))
	}
	return string(p.Msg.Type()), names
}

// TestInteropCapture replays node2's side of a real heartbeat 3.0.6
// exchange (testdata/bcast-sha1.pcap) into a master configured exactly
// as node1 was, and checks that it logs what node1 logged and sends
// messages shaped like node1's.
func TestInteropCapture(t *testing.T) {
	pkts := readPcap(t, "testdata/bcast-sha1.pcap")
	want := expectedLog(t)
	var p wire.Packet
	var node1First []byte
	var uuid [16]byte
	var gen [2]uint64
	var start [2]float64
	for _, c := range pkts {
		if c.src != node1IP {
			continue
		}
		if err := p.Decode(c.data); err != nil {
			t.Fatal(err)
		}
		run := 0
		if c.at >= rejoinAt {
			run = 1
		}
		if gen[run] == 0 {
			gen[run], _ = p.Msg.Hex(wire.FieldGeneration)
			start[run] = c.at
			copy(uuid[:], p.Msg.Value(wire.FieldSrcUUID))
			if run == 0 {
				node1First = c.data
			}
		}
	}

	// First run: from node1's start to its kill -9.
	r := newReplayer(t, gen[0], uuid, start[0])
	if err := p.Decode(node1First); err != nil {
		t.Fatal(err)
	}
	r.m.SetLoad(p.Msg.Value(wire.FieldLoad))
	r.m.Start(r.time(start[0]))
	r.collect(start[0])
	// The first datagram is the very one heartbeat sent: same generation,
	// uuid, ts and load give the same bytes, inner auth and trailer.
	if !bytes.Equal(r.sent[0], node1First) {
		t.Errorf("first status differs from heartbeat's:\n got %q\nwant %q", r.sent[0], node1First)
	}
	r.feed(pkts, firstStart, killAt)
	checkLog(t, "first run", r.logs, want[0])
	if st := r.m.NodeStatus(r.m.Node("node2")); st != master.StatusActive || !r.m.CommUp() {
		t.Errorf("first run: node2 %s, comm up %v", st, r.m.CommUp())
	}
	checkShapes(t, r.sent, pkts, 0, rejoinAt)
	// node2 asked node1 for 190, 191 and 192 (decimal) during the loss
	// phase; our seqs kept pace, so we resend ours.
	if st := r.m.Stats(); st.Retransmitted != 3 || st.AuthFailed != 0 || st.Malformed != 0 || st.UnknownSender != 0 {
		t.Errorf("first run stats: %+v", st)
	}

	// Second run: node1 restarted with the next generation.
	r2 := newReplayer(t, gen[1], uuid, start[1])
	r2.m.Start(r2.time(start[1]))
	r2.collect(start[1])
	r2.feed(pkts, secondStart, endAt)
	checkLog(t, "rejoin", r2.logs, want[1])
	if st := r2.m.NodeStatus(r2.m.Node("node2")); st != master.StatusActive || !r2.m.CommUp() {
		t.Errorf("rejoin: node2 %s, comm up %v", st, r2.m.CommUp())
	}
	checkShapes(t, r2.sent, pkts, rejoinAt, endAt)
}

// checkLog compares membership's log lines with heartbeat's, in order,
// except our own link coming up, whose place depends on when the kernel
// hands our broadcast back.
func checkLog(t *testing.T, what string, got, want []string) {
	t.Helper()
	const ownLink = "info: Link node1:eth0 up."
	filter := func(l []string) []string {
		return slices.DeleteFunc(slices.Clone(l), func(s string) bool { return s == ownLink })
	}
	if !slices.Contains(got, ownLink) {
		t.Errorf("%s: %q never logged", what, ownLink)
	}
	g, w := filter(got), filter(want)
	if !slices.Equal(g, w) {
		t.Errorf("%s: log differs from heartbeat's node1\n--- got:\n%s\n--- want:\n%s", what, strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

// checkSelfAck: an ACK we send to ourselves goes out right before the
// message it acknowledges, as heartbeat's nesting makes it.
func checkSelfAck(t *testing.T, sent [][]byte, i int) {
	t.Helper()
	var ack, next wire.Packet
	if err := ack.Decode(sent[i]); err != nil {
		t.Fatal(err)
	}
	if string(ack.Msg.Value(wire.FieldDest)) != "node1" {
		return
	}
	seq, _ := ack.Msg.Hex(wire.FieldAckSeq)
	if i+1 == len(sent) {
		t.Errorf("self-ACK of %x is the last thing sent", seq)
		return
	}
	if err := next.Decode(sent[i+1]); err != nil {
		t.Fatal(err)
	}
	if s, _ := next.Msg.Hex(wire.FieldSeq); s != seq {
		t.Errorf("self-ACK of %x is followed by seq %x", seq, s)
	}
}

// checkShapes compares every message type we sent with heartbeat's
// node1 messages of the same type: the same fields in the same order with
// the same types, and ACKs only ever for seqs ≡ a fixed trigger mod 10.
func checkShapes(t *testing.T, sent [][]byte, pkts []capPkt, from, to float64) {
	t.Helper()
	theirs := map[string][]string{}
	for _, c := range pkts {
		if c.src == node1IP && c.at >= from && c.at < to {
			typ, names := fieldNames(t, c.data)
			if _, ok := theirs[typ]; !ok {
				theirs[typ] = names
			}
		}
	}
	seen := map[string]bool{}
	for i, b := range sent {
		typ, names := fieldNames(t, b)
		switch typ {
		case "status", "NS_ackmsg", "reqnodes", "repnodes", "NS_rexmit", "NS_nak_rexmit":
		default:
			continue // relayed for the resource layer: not ours
		}
		seen[typ] = true
		if typ == "NS_ackmsg" {
			checkSelfAck(t, sent, i)
		}
		want, ok := theirs[typ]
		if !ok {
			t.Errorf("we sent a %s, which node1 never did", typ)
			continue
		}
		if !slices.Equal(names, want) {
			t.Errorf("%s fields:\n got %v\nwant %v", typ, names, want)
		}
	}
	for _, typ := range []string{"status", "NS_ackmsg", "reqnodes"} {
		if !seen[typ] {
			t.Errorf("we never sent a %s", typ)
		}
	}
}
