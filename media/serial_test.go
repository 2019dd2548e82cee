package media

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

func TestLineReader(t *testing.T) {
	stream := "noise\r\n<<<\nt=stray\n" + // before any start marker: skipped
		">>>\r\nt=status\r\nsrc=\xeeode1\nname=ab\x00cd\n<<<\n" + // CR dropped, bit 7 stripped, NUL ends a line
		"between\n>>>x\nt=2\n<<<y\n" // markers only need to start the line
	want := []string{">>>\nt=status\nsrc=node1\nname=ab\n<<<\n", ">>>x\nt=2\n<<<y\n"}

	for _, step := range []int{len(stream), 1, 7} {
		var r lineReader
		var got []string
		p := []byte(stream)
		for len(p) > 0 {
			chunk := p[:min(step, len(p))]
			for len(chunk) > 0 {
				used, msg := r.feed(chunk)
				if msg != nil {
					got = append(got, string(msg))
				}
				chunk, p = chunk[used:], p[used:]
			}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("fed %d bytes at a time: got %q, want %q", step, got, want)
		}
	}
}

func TestLineReaderOversize(t *testing.T) {
	var r lineReader
	big := ">>>\n" + strings.Repeat("x=yyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n", serialMax/32+1) + "<<<\n"
	if _, msg := r.feed([]byte(big)); msg != nil {
		t.Fatalf("a message of %d bytes (MAXMSG is %d) was handed up", len(big), serialMax)
	}
	if _, msg := r.feed([]byte(">>>\nt=ok\n<<<\n")); string(msg) != ">>>\nt=ok\n<<<\n" {
		t.Errorf("after an oversize message: %q", msg)
	}
	// A line with no LF at all is cut at MAXMSG bytes, as ttygets does.
	r = lineReader{}
	used, _ := r.feed(bytes.Repeat([]byte{'z'}, serialMax+10))
	if used != serialMax+10 || len(r.line) != 10 {
		t.Errorf("used %d, %d bytes left in the line; want all used and 10 left", used, len(r.line))
	}
}

func TestChunkPause(t *testing.T) {
	for baud, want := range map[int]time.Duration{
		9600: 426666 * time.Microsecond, 19200: 213333 * time.Microsecond, 115200: 35555 * time.Microsecond,
		460800: 8888 * time.Microsecond,
	} {
		if got := chunkPause(baud); got != want {
			t.Errorf("chunkPause(%d) = %v, want %v", baud, got, want)
		}
	}
}

func TestLineWriterPacing(t *testing.T) {
	const pause = 1000
	w := lineWriter{pause: pause}
	a := bytes.Repeat([]byte{'a'}, 1100) // chunks 512, 512, 76
	b := bytes.Repeat([]byte{'b'}, 100)
	if err := w.queue(a, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.queue(b, 0); err != nil {
		t.Fatal(err)
	}
	type write struct {
		at   int64
		data string
	}
	var got []write
	now := int64(0)
	for range 10 {
		due, ok := w.nextWrite()
		if !ok {
			break
		}
		now = max(now, due)
		c := w.next(now)
		got = append(got, write{now, fmt.Sprintf("%c%d", c[0], len(c))})
		w.wrote(len(c), now)
	}
	// A pause after every chunk of a message but its last; the next
	// message follows at once.
	want := []write{{0, "a512"}, {pause, "a512"}, {2 * pause, "a76"}, {2 * pause, "b100"}}
	if len(got) != len(want) {
		t.Fatalf("writes %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("write %d = %v, want %v", i, got[i], want[i])
		}
	}
	if _, ok := w.nextWrite(); ok || len(w.buf) != 0 {
		t.Errorf("queue not empty: %d bytes", len(w.buf))
	}
}

func TestLineWriterSlowLine(t *testing.T) {
	w := lineWriter{pause: 1000}
	w.queue(bytes.Repeat([]byte{'x'}, 600), 0)
	c := w.next(0)
	if w.wrote(100, 0) { // the tty took only part of the chunk
		t.Fatal("timed out at once")
	}
	if w.next(0) != nil {
		t.Error("the rest of a chunk was due again at once")
	}
	if c = w.next(serialRetry); len(c) != 412 || c[0] != 'x' {
		t.Fatalf("retry got %d bytes", len(c))
	}
	for now := serialRetry; ; now += serialRetry {
		if w.wrote(0, now) {
			if now <= serialStuck {
				t.Errorf("timed out after %v", time.Duration(now))
			}
			break
		}
		if now > 2*serialStuck {
			t.Fatal("never timed out")
		}
	}
	if _, ok := w.nextWrite(); ok {
		t.Error("queue kept after a timeout")
	}
	if err := w.queue(make([]byte, serialQueue+1), 0); err != errQueueFull {
		t.Errorf("oversize queue: %v", err)
	}
}

// The worked example of wire spec §12 (node1, "1 sha1 secret"): the
// netstring packet a Debian node sends, and the classic form serial
// carries, which must come out byte for byte.
var (
	specNetstring = mustHex(`
23 23 23 0a 31 31 3a 28 30 29 74 3d 73 74 61 74 75 73 2c 31 32 3a 28 30 29 73 74 3d 61 63 74 69
76 65 2c 31 30 3a 28 30 29 64 74 3d 37 35 33 30 2c 31 33 3a 28 30 29 70 72 6f 74 6f 63 6f 6c 3d
31 2c 31 32 3a 28 30 29 73 72 63 3d 6e 6f 64 65 31 2c 32 37 3a 28 31 29 73 72 63 75 75 69 64 3d
3f 25 04 e0 4f 89 41 d3 9a 0c 03 05 e8 2c 33 01 2c 39 3a 28 30 29 73 65 71 3d 32 61 2c 31 34 3a
28 30 29 68 67 3d 36 36 64 30 61 34 63 31 2c 31 34 3a 28 30 29 74 73 3d 36 36 64 30 61 34 66 30
2c 33 31 3a 28 30 29 6c 64 3d 30 2e 30 38 20 30 2e 30 33 20 30 2e 30 31 20 31 2f 31 38 37 20 32
33 39 38 2c 38 3a 28 30 29 74 74 6c 3d 33 2c 35 30 3a 28 30 29 61 75 74 68 3d 31 20 31 61 38 30
63 66 38 63 36 64 64 39 30 38 32 66 65 38 34 35 61 31 30 34 64 66 36 36 66 62 39 35 39 30 65 39
65 31 65 32 2c 25 25 25 0a 34 32 3a 31 20 61 30 64 37 35 62 61 35 61 33 32 66 35 37 31 39 31 38
64 64 30 31 39 64 36 61 65 33 31 38 36 31 37 66 62 38 37 32 31 33 2c`)
	specClassic = ">>>\nt=status\nst=active\ndt=7530\nprotocol=1\nsrc=node1\n(1)srcuuid=PyUE4E+JQdOaDAMF6CwzAQ==\n" +
		"seq=2a\nhg=66d0a4c1\nts=66d0a4f0\nld=0.08 0.03 0.01 1/187 2398\nttl=3\n" +
		"auth=1 1a80cf8c6dd9082fe845a104df66fb9590e9e1e2\n<<<\n"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestClassicText(t *testing.T) {
	keys := testKeyringKey(t, "secret")
	var w lineWriter
	got, err := w.classicText(specNetstring, keys)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != specClassic {
		t.Errorf("classic text\n%q\nwant (wire spec §12)\n%q", got, specClassic)
	}
	// A packet in classic form already goes as it is, without its NUL.
	if got, err := w.classicText([]byte(specClassic+"\x00junk"), keys); err != nil || string(got) != specClassic {
		t.Errorf("classic packet: %q, %v", got, err)
	}
	// The netstring form without the inner auth (msgfmt netstring) gets one.
	var p wire.Packet
	if err := p.Decode(specNetstring); err != nil {
		t.Fatal(err)
	}
	p.Msg.Remove(p.Msg.Index("auth"))
	bare, err := keys.AppendPacket(nil, &p.Msg, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := w.classicText(bare, keys); err != nil || string(got) != specClassic {
		t.Errorf("msgfmt netstring packet: %q, %v", got, err)
	}
	for name, pkt := range map[string][]byte{
		"forged":  statusPacket(t, testKeyringKey(t, "other"), testNode, 1, 1),
		"garbage": []byte("hello"),
		"empty":   nil,
	} {
		if _, err := w.classicText(pkt, keys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
