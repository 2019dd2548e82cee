package wire

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sameAsExact fails unless decoding data with scanFields gives what the
// exact one-field parser alone gives: the same fields (names, values, types,
// flags), the same length consumed and the same error. It decodes into a
// fresh message and into one with room to spare, since scanFields stops
// where the capacity ends.
func sameAsExact(t *testing.T, data []byte) {
	t.Helper()
	for _, room := range []int{0, 3, 64} {
		fast, exact := Message{fields: make([]field, 0, room)}, Message{}
		fast.src, exact.src = data, data
		nf, errf := fast.parseNetstring(data, 0, true)
		ne, erre := exact.parseNetstring(data, 0, false)
		if fmt.Sprint(errf) != fmt.Sprint(erre) || nf != ne {
			t.Fatalf("room %d: fast (%d, %v), exact (%d, %v) for %q", room, nf, errf, ne, erre, data)
		}
		if errf != nil {
			continue
		}
		if fast.Len() != exact.Len() {
			t.Fatalf("room %d: fast %d fields, exact %d for %q", room, fast.Len(), exact.Len(), data)
		}
		for i := range fast.fields {
			f, e := fast.At(i), exact.At(i)
			if !bytes.Equal(f.Name, e.Name) || !bytes.Equal(f.Value, e.Value) || f.Type != e.Type ||
				fast.fields[i].meta != exact.fields[i].meta || f.classicDepth != e.classicDepth {
				t.Fatalf("room %d: field %d: fast %+v (flags %d), exact %+v (flags %d) for %q",
					room, i, f, fast.fields[i].flags(), e, exact.fields[i].flags(), data)
			}
		}
	}
}

// netstringOf frames bodies "(T)name=value" as a netstring message.
func netstringOf(bodies ...string) []byte {
	b := []byte(netstringStart)
	for _, body := range bodies {
		b = fmt.Appendf(b, "%d:%s,", len(body), body)
	}
	return append(b, netstringEnd...)
}

// Every field scanFields doubts goes to the exact parser, and what it takes
// it takes as that parser would: names of every length around the word
// sizes, values holding each byte below 0x14, binary values, nested fields,
// malformed lengths and headers, a message cut short.
func TestScanFieldsMatchesExact(t *testing.T) {
	var cases [][]byte
	for n := 0; n <= 18; n++ {
		name := strings.Repeat("n", n)
		for _, v := range []string{"", "1", "status", "0.08 0.03 0.01 1/187 2398", strings.Repeat("v", 17)} {
			cases = append(cases, netstringOf("(0)"+name+"="+v, "(0)t="+v))
			cases = append(cases, netstringOf("(1)"+name+"="+v))
		}
	}
	for c := 0; c < 0x20; c++ {
		for _, at := range []int{0, 3, 7, 8, 9, 15, 16, 24} {
			v := []byte(strings.Repeat("x", 25))
			v[at] = byte(c)
			cases = append(cases,
				netstringOf("(0)t=status", "(0)ld="+string(v), "(0)ttl=3"),
				netstringOf("(0)t="+string(v[:at+1])),
				netstringOf("(1)srcuuid="+string(v), "(0)seq=2a"),
				netstringOf("(0)na"+string(v[at:at+1])+"me=x"),
				netstringOf("(1)na"+string(v[at:at+1])+"me=x"),
				netstringOf("(0)na"+string(v[at:at+1])+"me="+string(v[:24])))
			name := []byte("protocolname")
			name[at%len(name)] = byte(c)
			cases = append(cases, netstringOf("(0)"+string(name)+"=1"))
		}
	}
	// Lengths of two, three and four digits, around where one ends.
	for _, n := range []int{90, 95, 96, 97, 99, 100, 101, 150, 990, 995, 996, 997, 998, 1000, 1001} {
		cases = append(cases,
			netstringOf("(0)t="+strings.Repeat("v", n), "(0)ttl=3"),
			netstringOf("(1)srcuuid="+strings.Repeat("\x01", n)),
			netstringOf("(0)protocol="+strings.Repeat("v", n)+"\n"),
			// A length misread would end the field at a ','.
			netstringOf("(0)t="+strings.Repeat(",", n), "(0)ttl=3"))
	}
	// Three-character lengths with a byte that is no digit in the
	// second or third place, with every body size the arithmetic could
	// make of them.
	for _, c := range []byte{'/', ':', '?', '*', ' ', 0xfa} {
		for _, l := range []string{"1" + string(c) + "0", "10" + string(c), "9" + string(c) + "9"} {
			for size := 5; size < 260; size++ {
				cases = append(cases, []byte("###\n"+l+":(0)t="+strings.Repeat("x", size-5)+",%%%\n"))
			}
		}
	}
	// Every type byte after lengths of one, two and three digits (the
	// digits' count is found by where ":(T)" is), and '=' at every
	// place around the body's end, with a field after it.
	for _, c := range []byte("0123456789:()=,a\x00\xff") {
		for _, v := range []string{"", "x", strings.Repeat("v", 9), strings.Repeat("v", 99)} {
			cases = append(cases, []byte("###\n"+strconv.Itoa(len(v)+5)+":("+string(c)+")a="+v+",8:(0)ttl=3,%%%\n"))
		}
	}
	for k := 1; k <= 17; k++ {
		name := strings.Repeat("n", k)
		for _, v := range []string{"", "=", "1", "12"} {
			cases = append(cases,
				netstringOf("(0)"+name+"="+v, "(0)ttl=3"), netstringOf("(1)"+name+"="+v, "(0)ttl=3"),
				netstringOf("(0)"+name+v, "(0)ttl=3"), netstringOf("(1)"+name+v, "(0)t=3"))
		}
	}
	nested := string(netstringOf("(0)a=b"))
	cases = append(cases,
		netstringOf("(2)n="+nested, "(5)u="+nested, "(3)l=3:abc,", "(4)c=zz"),
		netstringOf("(2)n=###\n", "(0)a=b"),
		netstringOf("(6)a=b"), netstringOf("(a)a=b"), netstringOf("[0]a=b"), netstringOf("(0)=b"),
		netstringOf("(0)a"), netstringOf("(0)"), netstringOf("(0"),
		// No '=' in the body: the next field's must not end the name.
		netstringOf("(0)ab", "(0)c=d"), netstringOf("(1)abc", "(0)d=e"),
		netstringOf("(0)abcdefghij", "(0)k=l"), netstringOf("(0)abcdefgh", "(0)protocol=1"),
		// Lengths with a byte that is no digit, in every place.
		[]byte("###\n1/:(0)t=status,%%%\n"), []byte("###\n1::(0)t=status,%%%\n"),
		[]byte("###\n1\xfa:(0)t=status,%%%\n"), []byte("###\n\xfa1:(0)t=status,%%%\n"),
		[]byte("###\n1 3:(0)t=status,%%%\n"), []byte("###\n 13:(0)t=status,%%%\n"),
		[]byte("###\n+11:(0)t=status,%%%\n"), []byte("###\n-11:(0)t=status,%%%\n"),
		[]byte("###\n1@:(0)t=status,%%%\n"), []byte("###\n1?:(0)t=status,%%%\n"),
		[]byte("###\n:11:(0)t=status,%%%\n"), []byte("###\n0011:(0)t=status,%%%\n"),
		// Bytes that pass half of the digit test, at lengths the word
		// arithmetic would give them ('?' = '0'+15: 1? is 25; '*' wraps
		// 2* to 14).
		[]byte("###\n1?:(0)t="+strings.Repeat("x", 20)+",%%%\n"),
		[]byte("###\n2*:(0)t="+strings.Repeat("x", 9)+",%%%\n"),
		// A length that starts with a byte past '9' (':' is '0'+10).
		[]byte("###\n:0:(0)t="+strings.Repeat("x", 95)+",%%%\n"),
		// 2⁶⁴+11: a length that wraps to 11 in an int.
		[]byte("###\n18446744073709551627:(0)t=status,%%%\n"),
		[]byte("###\n013:(0)t=status,%%%\n"), []byte("###\n13:(0)t=status;%%%\n"),
		[]byte("###\n13;(0)t=status,%%%\n"), []byte("###\n99:(0)t=status,%%%\n"),
		[]byte("###\n12345678:(0)t=status,%%%\n"), []byte("###\n2097153:(0)t=status,%%%\n"),
		[]byte("###\n99999999999999999999014:(0)t=status,%%%\n"),
		[]byte("###\n13:(0)t=status,"), []byte("###\n13:(0)t=status,%%"), []byte("###\n13:(0)t=status,%%%"),
		[]byte("###\n13:(0)t=status,%%%\nmore"), []byte("###\n%%%\n"), []byte("###\n"),
		[]byte("###\n7:(0)a=1,%%%\n"), []byte("###\n5:(0)a=,%%%\n"),
	)
	for _, c := range cases {
		sameAsExact(t, c)
	}
}

// The fast path is the one real traffic takes: every netstring message
// heartbeat 3.0.6 sent in the captures, and the §12 status message the
// benchmarks decode, goes through scanFields whole, up to its end marker.
// (A scanFields that doubted everything would pass the tests above.)
func TestScanFieldsTakesCaptures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectorDir, "bcast-sha1-netstring", "*.bin"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no netstring captures: %v", err)
	}
	status, err := AppendNetstring(nil, signedStatus(t))
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string][]byte{"§12 status": status}
	for _, f := range files {
		if msgs[f], err = os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range msgs {
		var m Message
		n, err := m.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		nf, i, done := scanFields(data, len(netstringStart), make([]field, 0, m.Len()))
		if !done || i != n || nf != m.Len() {
			t.Errorf("%s (%s): scanFields took %d of %d fields, stopped at %d of %d (end %v)",
				name, m.Type(), nf, m.Len(), i, n, done)
		}
	}
}
