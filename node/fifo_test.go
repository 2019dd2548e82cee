package node

import (
	"strings"
	"testing"
)

func TestFIFOFramer(t *testing.T) {
	var f fifoFramer
	var got []string
	var bad []string
	feed := func(s string) {
		f.feed([]byte(s), func(m []byte) { got = append(got, string(m)) }, func(r string) { bad = append(bad, r) })
	}
	feed("junk line\n>>>\nt=ask_resources\nrsc_hold=all\n")
	if len(got) != 0 {
		t.Fatalf("incomplete message delivered: %q", got)
	}
	feed("info=me\n<<<\n>>>\nt=x\n<<<\n###\n7:(0)t=y,\n%%%\n")
	want := []string{
		">>>\nt=ask_resources\nrsc_hold=all\ninfo=me\n<<<\n",
		">>>\nt=x\n<<<\n",
		"###\n7:(0)t=y,\n%%%\n",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("messages:\n%q\nwant\n%q", got, want)
	}
	if len(f.buf) != 0 || len(bad) != 0 {
		t.Fatalf("left %q, bad %q", f.buf, bad)
	}
	// A runaway writer is cut off, not buffered forever.
	feed(">>>\n" + strings.Repeat("x=y\n", maxFIFOMessage/4+10))
	if len(bad) != 1 || len(f.buf) != 0 {
		t.Fatalf("runaway message: bad %q, %d bytes kept", bad, len(f.buf))
	}
	feed(">>>\nt=z\n<<<\n")
	if got[len(got)-1] != ">>>\nt=z\n<<<\n" {
		t.Fatalf("after a runaway: %q", got[len(got)-1])
	}
}
