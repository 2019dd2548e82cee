package media

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestInetChecksum(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want uint16
	}{
		{[]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, 0x220d}, // RFC 1071 §3
		{[]byte{0x00, 0x01, 0xf2}, ^uint16(0x0001 + 0xf200)},             // odd length: the last byte is a word's high half
		{nil, 0xffff},
		{[]byte{0xff, 0xff, 0xff, 0xff}, 0x0000}, // end-around carry
	} {
		if got := inetChecksum(tc.in); got != tc.want {
			t.Errorf("inetChecksum(% x) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}

func TestEchoHeader(t *testing.T) {
	pkt := append(make([]byte, icmpHeaderLen), "payload!"...)
	putEchoHeader(pkt, icmpEcho, 0x1234, 0x0102, true)
	if pkt[0] != 8 || pkt[1] != 0 {
		t.Errorf("type, code = %d, %d", pkt[0], pkt[1])
	}
	// The identifier is heartbeat's u_short in host order: on x86 its
	// bytes are swapped compared with a network-order value.
	var ident [2]byte
	binary.NativeEndian.PutUint16(ident[:], 0x1234)
	if !bytes.Equal(pkt[4:6], ident[:]) || !bytes.Equal(pkt[6:8], []byte{0x01, 0x02}) {
		t.Errorf("id, seq bytes = % x, % x", pkt[4:6], pkt[6:8])
	}
	if inetChecksum(pkt) != 0 {
		t.Errorf("checksum does not verify: %#04x", inetChecksum(pkt))
	}
	putEchoHeader(pkt, icmp6Echo, 1, 2, false)
	if pkt[0] != 128 || pkt[2] != 0 || pkt[3] != 0 {
		t.Errorf("ICMPv6 header % x: want type 128 and a zero checksum for the kernel to fill", pkt[:8])
	}
}

func TestEchoReply(t *testing.T) {
	icmp := []byte{icmpEchoReply, 0, 0xaa, 0xbb, 0, 0, 0, 7, 'h', 'i'}
	binary.NativeEndian.PutUint16(icmp[4:6], 0x4242)
	ip20 := append(append([]byte{0x45}, make([]byte, 19)...), icmp...)
	ip24 := append(append([]byte{0x46}, make([]byte, 23)...), icmp...)
	for name, p := range map[string][]byte{"ipv4": ip20, "ipv4 with options": ip24} {
		ident, seq, payload, ok := echoReply(p, false)
		if !ok || ident != 0x4242 || seq != 7 || string(payload) != "hi" {
			t.Errorf("%s: echoReply = %#x, %d, %q, %v", name, ident, seq, payload, ok)
		}
	}
	icmp6 := bytes.Clone(icmp)
	icmp6[0] = icmp6EchoReply
	if _, _, payload, ok := echoReply(icmp6, true); !ok || string(payload) != "hi" {
		t.Errorf("ipv6: %q, %v", payload, ok)
	}
	request := bytes.Clone(ip20)
	request[20] = icmpEcho
	for name, p := range map[string][]byte{
		"echo request": request, "too short": ip20[:27], "empty": nil, "header only": ip20[:20],
		"ipv6 reply read as ipv4": icmp6,
	} {
		if _, _, _, ok := echoReply(p, false); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, _, ok := echoReply(icmp, true); ok {
		t.Error("ipv4 echo reply accepted as ICMPv6")
	}
}
