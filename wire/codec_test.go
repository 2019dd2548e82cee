package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// The nesting example of wire spec §3.4, made with libplumb:
// t=x plus child={a=1, inner={g="x\ny"}}.
const nestedClassic = ">>>\nt=x\n(2)child=>>>\x14a=1\x14(2)inner=>>>\x15g=x\x13y\x15<<<\x15\x14<<<\x14\n<<<\n"

func nestedMessage(t *testing.T) *Message {
	var inner, child, top Message
	inner.AddString("g", "x\ny")
	child.AddString("a", "1")
	if err := child.AddMessage("inner", Struct, &inner); err != nil {
		t.Fatal(err)
	}
	top.AddString("t", "x")
	if err := top.AddMessage("child", Struct, &child); err != nil {
		t.Fatal(err)
	}
	return &top
}

func TestNestedClassic(t *testing.T) {
	top := nestedMessage(t)
	got, err := AppendClassic(nil, top)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != nestedClassic {
		t.Fatalf("classic nesting:\n got %q\nwant %q", got, nestedClassic)
	}
	// Decode it back and walk down to g.
	var m, child, inner Message
	if _, err := m.Decode([]byte(nestedClassic)); err != nil {
		t.Fatal(err)
	}
	f, _ := m.Get("child")
	if err := f.Nested(&child); err != nil {
		t.Fatal(err)
	}
	g, _ := child.Get("inner")
	if err := g.Nested(&inner); err != nil {
		t.Fatal(err)
	}
	v, _ := inner.Get("g")
	if text := v.AppendText(nil); string(text) != "x\ny" {
		t.Fatalf("g = %q", text)
	}
	// Classic-decoded nesting re-encodes as the netstring heartbeat sends.
	ns, err := AppendNetstring(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := AppendNetstring(nil, top)
	if !bytes.Equal(ns, want) {
		t.Fatalf("netstring from classic:\n got %q\nwant %q", ns, want)
	}
	if !bytes.Contains(want, []byte("(0)g=x\ny,")) {
		t.Fatalf("netstring strings are raw: %q", want)
	}
}

func TestListsAndBinary(t *testing.T) {
	var m Message
	m.Add("l", List, AppendList(nil, "abc", "de"))
	m.Add("b", Binary, []byte{0, 1, 2, ',', '\n', 0xff})
	m.Add("e", Binary, nil)
	m.AddString("s", "a,b=c\nd")
	for _, enc := range []func([]byte, *Message) ([]byte, error){AppendNetstring, AppendClassic} {
		out, err := enc(nil, &m)
		if err != nil {
			t.Fatal(err)
		}
		var back Message
		if _, err := back.Decode(out); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		l, _ := back.Get("l")
		var elems []string
		it := l.List()
		for it.Next() {
			elems = append(elems, string(it.Elem()))
		}
		if it.Err() != nil || strings.Join(elems, "|") != "abc|de" {
			t.Fatalf("list = %q, %v", elems, it.Err())
		}
		if b := back.Value("b"); !bytes.Equal(b, []byte{0, 1, 2, ',', '\n', 0xff}) {
			t.Fatalf("binary = %q", b)
		}
		if e, ok := back.Get("e"); !ok || len(e.Value) != 0 || e.Type != Binary {
			t.Fatalf("empty binary = %+v", e)
		}
		s, _ := back.Get("s")
		if string(s.AppendText(nil)) != "a,b=c\nd" {
			t.Fatalf("string = %q", s.AppendText(nil))
		}
	}
	if got := string(AppendList(nil, "abc", "de")); got != "3:abc,2:de," {
		t.Fatalf("packed list %q", got)
	}
}

// Input that crashes or confuses libplumb (wire spec §4.3, §3.1, §4.2) is a
// clean error.
func TestMalformed(t *testing.T) {
	trailer := "%%%\n5:1 abc,"
	for _, c := range []struct{ name, in string }{
		{"body without (", "###\n5:t=abc," + trailer},
		{"type digit 6", "###\n7:(6)t=a," + trailer},
		{"type digit 9", "###\n7:(9)t=a," + trailer},
		{"type not a digit", "###\n7:(x)t=a," + trailer},
		{"NUL in string", "###\n8:(0)t=a\x00b," + trailer},
		{"no end marker", "###\n7:(0)t=a,"},
		{"length past end", "###\n99:(0)t=a," + trailer},
		{"length not digits", "###\n+7:(0)t=a," + trailer},
		{"no comma", "###\n7:(0)t=a;" + trailer},
		{"empty name", "###\n6:(0)=ab," + trailer},
		{"no =", "###\n6:(0)tab," + trailer},
		{"huge length", "###\n99999999999999999999:(0)t=a," + trailer},
		{"bad list", "###\n9:(3)l=3:a," + trailer},
		{"empty list element", "###\n10:(3)l=0:,," + trailer},
		{"bad nested", "###\n9:(2)c=###\n," + trailer},
		{"no trailer", "###\n7:(0)t=a,%%%\n"},
		{"bad trailer", "###\n7:(0)t=a,%%%\n5:1 ab"},
		{"classic (0) prefix", ">>>\n(0)t=a\n<<<\n"},
		{"classic type 5", ">>>\n(5)t=a\n<<<\n"},
		{"classic no end", ">>>\nt=a\n"},
		{"classic NUL", ">>>\nt=a\x00\n<<<\n"},
		{"classic no =", ">>>\nta\n<<<\n"},
		{"classic empty name", ">>>\n=a\n<<<\n"},
		{"classic CRLF", ">>>\r\nt=a\r\n<<<\r\n"},
		{"classic bad base64", ">>>\n(1)b=abc\n<<<\n"},
		{"garbage", "hello"},
		{"empty", ""},
	} {
		var p Packet
		if err := p.Decode([]byte(c.in)); err == nil {
			t.Errorf("%s: %q decoded", c.name, c.in)
		}
	}
}

// Nesting deeper than MAXDEPTH is an error, not a stack overflow.
func TestDeepNesting(t *testing.T) {
	var m Message
	m.AddString("t", "x")
	for range MaxDepth + 2 {
		var outer Message
		outer.AddString("t", "y")
		if err := outer.AddMessage("c", Struct, &m); err != nil {
			break
		}
		m.CopyFrom(&outer)
	}
	b, _ := AppendNetstring(nil, &m)
	var back Message
	if _, err := back.Decode(b); err == nil {
		t.Fatal("message nested beyond MAXDEPTH decoded")
	}
}

func TestEncodeRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		m    func(*Message)
	}{
		{"NUL in string", func(m *Message) { m.AddString("t", "a\x00") }},
		{"= in name", func(m *Message) { m.AddString("a=b", "x") }},
		{"empty name", func(m *Message) { m.AddString("", "x") }},
		{"long list", func(m *Message) { m.Add("l", List, AppendList(nil, strings.Repeat("x", 1100))) }},
		{"type 7", func(m *Message) { m.Add("x", Type(7), nil) }},
	} {
		var m Message
		c.m(&m)
		if _, err := AppendNetstring(nil, &m); err == nil {
			t.Errorf("%s: encoded", c.name)
		}
	}
	var m Message
	m.AddString("(1)x", "y")
	if _, err := AppendClassic(nil, &m); err == nil {
		t.Error("classic name starting with ( encoded")
	}
}

func TestCompression(t *testing.T) {
	var child, m Message
	child.AddString("t", "cib")
	child.AddString("data", strings.Repeat("<resource id=\"x\"/>", 200))
	m.AddString("t", "x")
	if err := m.AddMessage("child", Uncompressed, &child); err != nil {
		t.Fatal(err)
	}
	if err := m.CompressFields(Zlib, true); err != nil {
		t.Fatal(err)
	}
	f, _ := m.Get("child")
	if f.Type != Compressed || !bytes.HasPrefix(f.Value, []byte{0x78, 0x9c}) || len(f.Value) > 200 {
		t.Fatalf("child not zlib-compressed: type %v, %d bytes %x", f.Type, len(f.Value), f.Value[:4])
	}
	if i := m.Index(FieldCompressionAlgorithm); i != 2 || string(m.At(i).Value) != "zlib" {
		t.Fatalf("_compression_algorithm at %d", i)
	}
	pkt, err := AppendNetstring(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	var back, got Message
	if _, err := back.Decode(pkt); err != nil {
		t.Fatal(err)
	}
	cf, _ := back.Get("child")
	if _, err := back.Decompress(cf, &got, nil); err != nil {
		t.Fatal(err)
	}
	if v := got.Value("data"); !bytes.Equal(v, child.Value("data")) {
		t.Fatalf("decompressed child differs")
	}

	var whole, un Message
	if err := whole.Compress(&child, Zlib, false); err != nil {
		t.Fatal(err)
	}
	if whole.Len() != 2 || whole.At(0).Type != Binary {
		t.Fatalf("whole-message compression: %d fields", whole.Len())
	}
	if _, ok, err := whole.Uncompress(&un, nil); !ok || err != nil || !bytes.Equal(un.Value("data"), child.Value("data")) {
		t.Fatalf("uncompress: ok=%v err=%v", ok, err)
	}
	if _, err := AppendCompressed(nil, []byte("x"), Bz2); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("bz2 compress: %v", err)
	}
}

// A zip bomb stops at heartbeat's 2 MiB limit.
func TestDecompressLimit(t *testing.T) {
	z, err := AppendCompressed(nil, make([]byte, MaxUncompressed+10), Zlib)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AppendDecompressed(nil, z, Zlib); err == nil {
		t.Fatal("decompressed past MaxUncompressed")
	}
}

func TestParseHex(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"2a", 0x2a, true}, {"2A", 0x2a, true}, {"0x2a", 0x2a, true}, {" 1f4", 0x1f4, true},
		{"6b025c24", 0x6b025c24, true}, {"", 0, false}, {"zz", 0, false}, {"12zz", 0x12, true},
		{"ffffffffffffffff", 1<<64 - 1, true}, {"1ffffffffffffffff", 0, false}, {"0x", 0, true},
	} {
		got, ok := ParseHex([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("ParseHex(%q) = %x, %v; want %x, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
