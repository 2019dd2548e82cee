package ipaddr

import (
	"net"
	"net/netip"
)

// ARP operations.
const (
	arpRequest = 1
	arpReply   = 2
)

// arpFrameLen is an Ethernet header and an Ethernet/IPv4 ARP packet, the
// 42 bytes send_arp writes (the driver pads).
const arpFrameLen = 14 + 28

// arpFrame builds the frame send_arp (the libnet build in resource-agents)
// sends: broadcast from the interface's address; sender = target = the
// VIP; target hardware address zero in a request, the sender's in a reply.
func arpFrame(op int, mac net.HardwareAddr, ip netip.Addr) [arpFrameLen]byte {
	var f [arpFrameLen]byte
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], mac)
	f[12], f[13] = 0x08, 0x06 // ETHERTYPE_ARP
	p := f[14:]
	p[0], p[1] = 0, 1       // ARPHRD_ETHER
	p[2], p[3] = 0x08, 0x00 // ETHERTYPE_IP
	p[4], p[5] = 6, 4
	p[6], p[7] = 0, byte(op)
	ip4 := ip.As4()
	copy(p[8:14], mac)
	copy(p[14:18], ip4[:])
	if op == arpReply {
		copy(p[18:24], mac)
	}
	copy(p[24:28], ip4[:])
	return f
}
