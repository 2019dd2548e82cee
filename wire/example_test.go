package wire

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// The worked example of wire spec §12: one status from node1, auth 1 sha1
// "secret", produced by the installed libplumb.
var (
	exampleUUID = []byte{0x3f, 0x25, 0x04, 0xe0, 0x4f, 0x89, 0x41, 0xd3, 0x9a, 0x0c, 0x03, 0x05, 0xe8, 0x2c, 0x33, 0x01}
	// 311 bytes, msgfmt classic (inner auth field plus trailer).
	exampleNetstring = mustHex(`
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
	exampleInnerBody = "t=status\nst=active\ndt=7530\nprotocol=1\nsrc=node1\n(1)srcuuid=PyUE4E+JQdOaDAMF6CwzAQ==\n" +
		"seq=2a\nhg=66d0a4c1\nts=66d0a4f0\nld=0.08 0.03 0.01 1/187 2398\nttl=3\n"
	exampleClassic = ">>>\n" + exampleInnerBody + "auth=1 1a80cf8c6dd9082fe845a104df66fb9590e9e1e2\n<<<\n"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func exampleStatus() *Message {
	var m Message
	m.AddString(FieldType, "status")
	m.AddString(FieldStatus, "active")
	m.AddHex(FieldDeadtime, 30000)
	m.AddString(FieldProtocol, "1")
	m.AddString(FieldSrc, "node1")
	m.Add(FieldSrcUUID, Binary, exampleUUID)
	m.AddHex(FieldSeq, 0x2a)
	m.AddHex(FieldGeneration, 0x66d0a4c1)
	m.AddHex(FieldTimestamp, 0x66d0a4f0)
	m.AddString(FieldLoad, "0.08 0.03 0.01 1/187 2398")
	m.AddString(FieldTTL, "3")
	return &m
}

func exampleKeyring(t testing.TB, method Method, key string) *Keyring {
	k := NewKeyring()
	if err := k.SetKey(1, method, []byte(key)); err != nil {
		t.Fatal(err)
	}
	if err := k.SetSigner(1); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestWorkedExample(t *testing.T) {
	m := exampleStatus()
	body, err := appendClassicBody(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != exampleInnerBody || len(body) != 150 {
		t.Fatalf("inner auth input (%d bytes) = %q", len(body), body)
	}
	for _, c := range []struct {
		method Method
		key    string
		want   string
	}{
		{SHA1, "secret", "1a80cf8c6dd9082fe845a104df66fb9590e9e1e2"},
		{MD5, "secret", "1b852c816f68aaa7cf1d91215d031bd2"},
		{CRC, "", "26d88833"},
	} {
		k := exampleKeyring(t, c.method, c.key)
		got, _ := k.appendDigest(nil, 1, body)
		if string(got) != c.want {
			t.Errorf("%v over the inner body = %s, want %s", c.method, got, c.want)
		}
	}

	k := exampleKeyring(t, SHA1, "secret")
	pkt, err := k.AppendPacket(nil, m, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pkt, exampleNetstring) {
		t.Fatalf("netstring packet (%d bytes):\n got %q\nwant %q", len(pkt), pkt, exampleNetstring)
	}

	classic, err := AppendClassic(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	// 206 bytes of text; the spec's 207 counts the NUL a datagram carries.
	if string(classic) != exampleClassic || len(classic) != 206 {
		t.Fatalf("classic form (%d bytes) = %q", len(classic), classic)
	}
	dgram, err := k.AppendClassicPacket(nil, exampleStatus())
	if err != nil || string(dgram) != exampleClassic+"\x00" {
		t.Fatalf("classic datagram = %q, %v", dgram, err)
	}

	// msgfmt netstring: no inner field (54 bytes fewer), another trailer.
	// The spec says 211 bytes, but 311 - 54 = 257, and the trailer, which
	// libplumb computed, covers exactly these 257 - 46 bytes.
	pkt, err = k.AppendPacket(nil, exampleStatus(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkt) != 257 || !bytes.HasSuffix(pkt, []byte("42:1 ed6aac223893fdfad434b251f35e6cd1e6cba4cc,")) {
		t.Fatalf("msgfmt netstring packet (%d bytes) = %q", len(pkt), pkt)
	}
}

func TestWorkedExampleDecode(t *testing.T) {
	k := exampleKeyring(t, SHA1, "secret")
	var p Packet
	for _, in := range [][]byte{exampleNetstring, []byte(exampleClassic + "\x00"), []byte(exampleClassic)} {
		if err := p.Decode(in); err != nil {
			t.Fatalf("decode %.8q: %v", in, err)
		}
		if err := k.Verify(&p); err != nil {
			t.Fatalf("verify %v: %v", p.Format, err)
		}
		if u := p.Msg.Value(FieldSrcUUID); !bytes.Equal(u, exampleUUID) {
			t.Fatalf("%v srcuuid = %x", p.Format, u)
		}
		if seq, ok := p.Msg.Hex(FieldSeq); !ok || seq != 0x2a {
			t.Fatalf("%v seq = %x %v", p.Format, seq, ok)
		}
		if p.Msg.Len() != 12 {
			t.Fatalf("%v: %d fields", p.Format, p.Msg.Len())
		}
	}
	// The uuid holds a ',' and is still delimited by its length only.
	if bytes.IndexByte(exampleUUID, ',') < 0 {
		t.Fatal("example uuid lost its comma")
	}
}

// Auth test vectors of wire spec §5.2.
func TestAuthMethods(t *testing.T) {
	for _, c := range []struct {
		method    Method
		key, data string
		want      string
	}{
		{SHA1, "secret", "hello world", "03376ee7ad7bbfceee98660439a4d8b125122a5a"},
		{MD5, "secret", "hello world", "78d6997b1230f38e59b6d1642dfaa3a4"},
		{CRC, "", "hello world", "8c850d51"},
		{CRC, "", "123456789", "765e7680"},
	} {
		k := exampleKeyring(t, c.method, c.key)
		got, ok := k.appendDigest(nil, 1, []byte(c.data))
		if !ok || string(got) != c.want {
			t.Errorf("%v(%q) = %s, want %s", c.method, c.data, got, c.want)
		}
	}
	// crc is written with %lx: no leading zeros.
	for i := 0; i < 100000; i++ {
		data := []byte{byte(i), byte(i >> 8), byte(i >> 16)}
		if c := crcCksum(data); c < 1<<28 {
			k := exampleKeyring(t, CRC, "")
			got, _ := k.appendDigest(nil, 1, data)
			if len(got) == 8 || got[0] == '0' && len(got) > 1 {
				t.Fatalf("crc %08x written as %s", c, got)
			}
			return
		}
	}
	t.Fatal("no short crc found")
}

func TestKeyringErrors(t *testing.T) {
	k := NewKeyring()
	if err := k.SetKey(16, SHA1, []byte("k")); err == nil {
		t.Error("slot 16 accepted")
	}
	if err := k.SetKey(1, SHA1, nil); err == nil {
		t.Error("sha1 without key accepted")
	}
	if err := k.SetKey(1, CRC, []byte("k")); err == nil {
		t.Error("crc with key accepted")
	}
	if err := k.SetSigner(2); err == nil {
		t.Error("signer without key accepted")
	}
	if _, err := k.AppendPacket(nil, exampleStatus(), false); err == nil {
		t.Error("signed without a signer")
	}
}

// A packet signed with another slot of the same keyring verifies (key
// rollover); one signed with a key we do not have does not.
func TestVerifySlots(t *testing.T) {
	old := exampleKeyring(t, MD5, "old")
	pkt, err := old.AppendPacket(nil, exampleStatus(), true)
	if err != nil {
		t.Fatal(err)
	}
	k := NewKeyring()
	_ = k.SetKey(1, MD5, []byte("old"))
	_ = k.SetKey(2, SHA1, []byte("new"))
	_ = k.SetSigner(2)
	var p Packet
	if err := p.Decode(pkt); err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(&p); err != nil {
		t.Fatalf("rollover: %v", err)
	}
	other := exampleKeyring(t, MD5, "other")
	if err := other.Verify(&p); err == nil {
		t.Fatal("foreign key verified")
	}
	k2 := NewKeyring()
	_ = k2.SetKey(3, MD5, []byte("old"))
	if err := k2.Verify(&p); err == nil {
		t.Fatal("packet naming an undefined slot verified")
	}
}
