package media

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Beacon sockets (docs/wire-native.md, "Beacon sockets"): a second receive
// socket, bound as the receive socket is, that the kernel gives native
// status beacons only, and the receive socket everything else. The loop
// does not poll it: the node drains it at every wake-up, its own send tick
// among them, so an idle node wakes once per keepalive instead of twice.
// The kernel stamps each datagram's arrival (SO_TIMESTAMPNS), so a beacon
// read late still counts from when it came.

// Beacon layout: the native header (magic, version, sequence 0) and the
// body's first field, t=status, at fixed offsets. A beacon is at least
// the header, that field and the MAC long. Anything else, a compressed
// wrapper or an ACK (sequence 0 too) among them, stays on the receive
// socket.
const (
	beaconMagic   = 0x6862644E // "hbdN"
	beaconVersion = 1
	beaconField   = 0x00010674 // type string, name length 1, value length 6, "t"
	beaconStat    = 0x73746174 // "stat"
	beaconUs      = 0x7573     // "us"
	beaconMinLen  = 32 + 10 + 32
	udpHeaderLen  = 8
	keepAll       = 1 << 18 // a socket filter's "keep it all"
)

// IsBeacon reports whether p, a UDP payload, is what the kernel filters
// route to a beacon socket. It is the filters' rule in Go, for tests.
func IsBeacon(p []byte) bool {
	be32 := func(o int) uint32 { return uint32(p[o])<<24 | uint32(p[o+1])<<16 | uint32(p[o+2])<<8 | uint32(p[o+3]) }
	return len(p) >= beaconMinLen && be32(0) == beaconMagic && p[4] == beaconVersion &&
		be32(24) == 0 && be32(28) == 0 && be32(32) == beaconField && be32(36) == beaconStat &&
		uint16(p[40])<<8|uint16(p[41]) == beaconUs
}

// beaconProgram returns a classic BPF program that reads a UDP payload
// starting at off and returns yes for a beacon, no for anything else.
// Loads past the end would end the program with 0, so the length is
// checked first.
func beaconProgram(off, yes, no uint32) []unix.SockFilter {
	type check struct {
		code uint16
		k    uint32 // offset in the payload
		want uint32
	}
	checks := []check{
		{unix.BPF_W, 0, beaconMagic},
		{unix.BPF_B, 4, beaconVersion},
		{unix.BPF_W, 24, 0},
		{unix.BPF_W, 28, 0},
		{unix.BPF_W, 32, beaconField},
		{unix.BPF_W, 36, beaconStat},
		{unix.BPF_H, 40, beaconUs},
	}
	// Layout: len, jge, then a load and a jeq per check, then ret yes,
	// ret no. A failed test jumps to "ret no".
	n := 2 + 2*len(checks) + 2
	noAt := n - 1
	p := make([]unix.SockFilter, 0, n)
	p = append(p,
		unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_LEN},
		unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, K: off + beaconMinLen, Jf: uint8(noAt - 2)})
	for _, c := range checks {
		p = append(p, unix.SockFilter{Code: unix.BPF_LD | c.code | unix.BPF_ABS, K: off + c.k})
		i := len(p)
		p = append(p, unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: c.want, Jf: uint8(noAt - i - 1)})
	}
	return append(p,
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: yes},
		unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: no})
}

func attachProgram(fd, opt int, p []unix.SockFilter, name string) error {
	prog := unix.SockFprog{Len: uint16(len(p)), Filter: &p[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, opt, &prog); err != nil {
		return fmt.Errorf("setsockopt %s: %w", name, err)
	}
	return nil
}

// A socket filter sees the UDP header first; a reuseport program, the
// payload.
func keepBeacons(fd int) error {
	return attachProgram(fd, unix.SO_ATTACH_FILTER, beaconProgram(udpHeaderLen, keepAll, 0), "SO_ATTACH_FILTER")
}

func dropBeacons(fd int) error {
	return attachProgram(fd, unix.SO_ATTACH_FILTER, beaconProgram(udpHeaderLen, 0, keepAll), "SO_ATTACH_FILTER")
}

// splitBeacons makes a reuseport group of a receive socket (index 0) and
// its beacon socket (index 1) send beacons to the latter.
func splitBeacons(fd int) error {
	return attachProgram(fd, unix.SO_ATTACH_REUSEPORT_CBPF, beaconProgram(0, 1, 0), "SO_ATTACH_REUSEPORT_CBPF")
}

// Beaconer is a medium with a beacon socket.
type Beaconer interface {
	Medium
	// BeaconFD is the beacon socket, or -1 when the medium has none
	// (not asked for, or the kernel refused: BeaconErr says why).
	BeaconFD() int
	BeaconErr() error
	// RecvBeacons reads what waits on the beacon socket, as Recv does.
	RecvBeacons(b *BeaconBatch) (int, error)
}

func (m *udp) BeaconFD() int    { return m.bfd }
func (m *udp) BeaconErr() error { return m.berr }

func (m *udp) RecvBeacons(b *BeaconBatch) (int, error) {
	if m.bfd < 0 {
		b.pkts = b.pkts[:0]
		return 0, nil
	}
	n, err := b.recv(m.bfd, m.index)
	if err != nil {
		return n, m.err("receive beacons", err)
	}
	return n, nil
}

// openBeacon opens the beacon socket with setup, which must configure and
// bind it as the receive socket was, and splits the traffic (reuseport:
// through the reuseport group, else with a filter on each socket). A
// failure is not fatal: the receive socket then gets everything, as
// without the beacon socket.
func (m *udp) openBeacon(reuseport bool, setup func(fd int) error) {
	fd, err := socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err == nil {
		err = m.beaconSocket(fd, reuseport, setup)
		if err != nil {
			closeFDs(fd)
		}
	}
	if err != nil {
		m.berr = err
		if !reuseport {
			unix.SetsockoptInt(m.rfd, unix.SOL_SOCKET, unix.SO_DETACH_FILTER, 0)
		}
		return
	}
	m.bfd = fd
}

func (m *udp) beaconSocket(fd int, reuseport bool, setup func(fd int) error) error {
	setRecvBuffer(fd)
	if err := setInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS"); err != nil {
		return err
	}
	if reuseport {
		if err := setInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1, "SO_REUSEPORT"); err != nil {
			return err
		}
		if err := setup(fd); err != nil {
			return err
		}
		return splitBeacons(m.rfd)
	}
	// Every bound socket gets a copy of a broadcast: each keeps its half.
	if err := keepBeacons(fd); err != nil {
		return err
	}
	if err := setup(fd); err != nil {
		return err
	}
	return dropBeacons(m.rfd)
}

// BeaconBatch is a Batch for beacon sockets: it also keeps each
// datagram's arrival time, as the kernel stamped it.
type BeaconBatch struct {
	Batch
	stamps []int64 // of pkts[i]
}

// NewBeaconBatch returns a BeaconBatch of n buffers of size bytes.
func NewBeaconBatch(n, size int) *BeaconBatch {
	b := &BeaconBatch{Batch: *NewBatch(n, size)}
	b.sys.KeepStamps()
	b.stamps = make([]int64, b.Cap())
	return b
}

// Stamp returns packet i's arrival time on CLOCK_REALTIME (ns), 0 when
// the kernel gave none.
func (b *BeaconBatch) Stamp(i int) int64 {
	if i < 0 || i >= len(b.pkts) {
		return 0
	}
	return b.stamps[i]
}

// recv is one recvmmsg on the non-blocking fd. It skips empty and
// truncated datagrams.
func (b *BeaconBatch) recv(fd, medium int) (int, error) {
	b.reset()
	n, err := b.sys.RecvBatch(fd)
	for i := range n {
		p, from := b.sys.Datagram(i)
		if b.sys.Truncated(i) || len(p) == 0 {
			continue
		}
		b.stamps[len(b.pkts)] = b.sys.Stamp(i)
		b.add(p, medium, from)
	}
	return len(b.pkts), err
}

// bindOnDevice binds a beacon socket as bcast and ucast bind their
// receive sockets: SO_REUSEADDR, the interface, the port on any address.
func bindOnDevice(iface string, local netip.AddrPort) func(fd int) error {
	return func(fd int) error {
		if err := setInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1, "SO_REUSEADDR"); err != nil {
			return err
		}
		if err := bindToDevice(fd, iface); err != nil {
			return err
		}
		return unix.Bind(fd, sockaddr(local, 0))
	}
}
