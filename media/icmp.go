package media

import "encoding/binary"

// ICMP echo as heartbeat's ping plugins build and read it.
const (
	icmpHeaderLen  = 8
	icmpEchoReply  = 0
	icmpEcho       = 8
	icmp6EchoReply = 129
	icmp6Echo      = 128

	// pingReadMax is the most a ping plugin reads per packet, IP header
	// included: a MAXLINE+8 buffer less the byte kept for a NUL. A longer
	// reply loses its tail there and fails to decode.
	pingReadMax = 5120 + icmpHeaderLen - 1
)

// putEchoHeader fills the 8-byte echo request header at the front of pkt
// (the payload follows it). The identifier is stored in host byte order,
// as heartbeat stores getpid()&0xffff into the u_short field without
// htons; the sequence number is in network order. For IPv4 the checksum is
// computed here; for ICMPv6 the kernel computes it and it stays 0.
func putEchoHeader(pkt []byte, typ byte, ident, seq uint16, checksum bool) {
	pkt[0], pkt[1] = typ, 0
	pkt[2], pkt[3] = 0, 0
	binary.NativeEndian.PutUint16(pkt[4:6], ident)
	binary.BigEndian.PutUint16(pkt[6:8], seq)
	if checksum {
		binary.BigEndian.PutUint16(pkt[2:4], inetChecksum(pkt))
	}
}

// inetChecksum is the Internet checksum (RFC 1071) of b: the ones'
// complement of the ones'-complement sum of its 16-bit words, an odd last
// byte padded with zero.
func inetChecksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// echoReply finds the ICMP message in what a raw socket read: IPv4 raw
// sockets deliver the IP header too, IPv6 ones do not. It returns the
// reply's identifier (as stored, host order), its sequence number and the
// payload, and false for anything that is not an echo reply or is too
// short.
func echoReply(p []byte, v6 bool) (ident, seq uint16, payload []byte, ok bool) {
	want := byte(icmpEchoReply)
	if v6 {
		want = icmp6EchoReply
	} else {
		if len(p) == 0 {
			return 0, 0, nil, false
		}
		hlen := int(p[0]&0x0f) * 4
		if len(p) < hlen+icmpHeaderLen {
			return 0, 0, nil, false
		}
		p = p[hlen:]
	}
	if len(p) < icmpHeaderLen || p[0] != want {
		return 0, 0, nil, false
	}
	return binary.NativeEndian.Uint16(p[4:6]), binary.BigEndian.Uint16(p[6:8]), p[icmpHeaderLen:], true
}
