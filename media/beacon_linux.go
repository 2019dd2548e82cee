package media

import (
	"fmt"
	"net/netip"
	"unsafe"

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
	hdrs   []unix.Mmsghdr
	iovs   []unix.Iovec
	names  []unix.RawSockaddrInet6
	ctrl   []byte
	bufs   [][]byte
	pkts   []Packet
	stamps []int64
}

const beaconCtrl = 64 // room for SCM_TIMESTAMPNS (32 bytes) and spare

// NewBeaconBatch returns a BeaconBatch of n buffers of size bytes.
func NewBeaconBatch(n, size int) *BeaconBatch {
	n = max(n, 1)
	b := &BeaconBatch{
		hdrs: make([]unix.Mmsghdr, n), iovs: make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n), ctrl: make([]byte, n*beaconCtrl),
		bufs: make([][]byte, n), pkts: make([]Packet, 0, n), stamps: make([]int64, n),
	}
	mem := make([]byte, n*size)
	for i := range b.bufs {
		b.bufs[i] = mem[i*size : (i+1)*size : (i+1)*size]
	}
	return b
}

// Len returns how many packets the last RecvBeacons left in the batch.
func (b *BeaconBatch) Len() int { return len(b.pkts) }

// Cap returns how many packets one RecvBeacons can deliver.
func (b *BeaconBatch) Cap() int { return len(b.bufs) }

// At returns packet i, or the zero Packet when i is out of range.
func (b *BeaconBatch) At(i int) Packet {
	if i < 0 || i >= len(b.pkts) {
		return Packet{}
	}
	return b.pkts[i]
}

// Stamp returns packet i's arrival time on CLOCK_REALTIME (ns), 0 when
// the kernel gave none.
func (b *BeaconBatch) Stamp(i int) int64 {
	if i < 0 || i >= len(b.pkts) {
		return 0
	}
	return b.stamps[i]
}

// recv is one recvmmsg on the non-blocking fd, made raw as sysio.Batch
// does (see there why). It skips empty and truncated datagrams.
func (b *BeaconBatch) recv(fd, medium int) (int, error) {
	b.pkts = b.pkts[:0]
	for i := range b.hdrs {
		iov := &b.iovs[i]
		iov.Base = &b.bufs[i][0]
		iov.SetLen(len(b.bufs[i]))
		h := &b.hdrs[i]
		h.Hdr = unix.Msghdr{
			Name:    (*byte)(unsafe.Pointer(&b.names[i])),
			Namelen: unix.SizeofSockaddrInet6,
			Iov:     iov,
			Control: &b.ctrl[i*beaconCtrl],
		}
		h.Hdr.SetIovlen(1)
		h.Hdr.SetControllen(beaconCtrl)
		h.Len = 0
	}
	var n int
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.hdrs[0])),
			uintptr(len(b.hdrs)), unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e == unix.EAGAIN {
			return 0, nil
		}
		if e != 0 {
			return 0, fmt.Errorf("recvmmsg: %w", e)
		}
		n = int(r)
		break
	}
	for i := range n {
		h := &b.hdrs[i]
		if h.Hdr.Flags&unix.MSG_TRUNC != 0 || h.Len == 0 {
			continue
		}
		b.stamps[len(b.pkts)] = stampOf(b.ctrl[i*beaconCtrl : i*beaconCtrl+int(h.Hdr.Controllen)])
		b.pkts = append(b.pkts, Packet{Data: b.bufs[i][:h.Len], Medium: medium, From: rawAddrPort(&b.names[i], h.Hdr.Namelen)})
	}
	return len(b.pkts), nil
}

// stampOf finds SCM_TIMESTAMPNS in a control buffer without allocating.
func stampOf(c []byte) int64 {
	hl := unix.CmsgLen(0)
	for len(c) >= hl {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
		l := int(h.Len)
		if l < hl || l > len(c) {
			return 0
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && l >= hl+int(unsafe.Sizeof(unix.Timespec{})) {
			ts := (*unix.Timespec)(unsafe.Pointer(&c[hl]))
			return ts.Nano()
		}
		c = c[min(len(c), unix.CmsgSpace(l-hl)):]
	}
	return 0
}

func rawAddrPort(sa *unix.RawSockaddrInet6, n uint32) netip.AddrPort {
	port := func(p uint16) uint16 {
		b := (*[2]byte)(unsafe.Pointer(&p))
		return uint16(b[0])<<8 | uint16(b[1])
	}
	switch {
	case sa.Family == unix.AF_INET && n >= unix.SizeofSockaddrInet4:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port(sa4.Port))
	case sa.Family == unix.AF_INET6 && n >= unix.SizeofSockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), port(sa.Port))
	}
	return netip.AddrPort{}
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
