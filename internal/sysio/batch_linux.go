package sysio

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Batch sends or receives up to Cap() UDP datagrams with one system call
// (recvmmsg / sendmmsg, never blocking, so made as raw calls: a call
// through the runtime's entersyscall wakes its sleeping monitor thread,
// which then polls every 20 µs for a millisecond), through message headers, iovecs and socket
// addresses allocated once in NewBatch. Neither direction allocates.
//
// A Batch is used for one direction at a time: RecvBatch overwrites the
// headers and drops whatever was queued for sending. It is not safe for
// concurrent use.
type Batch struct {
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []sockaddr
	bufs  [][]byte
	ctrl  []byte // per datagram stampCtrl bytes of control data; nil: no stamps

	n          int // datagrams received by the last RecvBatch
	head, tail int // queued for sending: hdrs[head:tail]
}

// NewBatch returns a Batch that receives into bufs, one datagram per
// buffer, and can queue up to len(bufs) datagrams for sending. The caller
// keeps ownership of bufs; the Batch reads and writes them only during
// RecvBatch.
func NewBatch(bufs [][]byte) *Batch {
	n := len(bufs)
	return &Batch{
		hdrs:  make([]unix.Mmsghdr, n),
		iovs:  make([]unix.Iovec, n),
		names: make([]sockaddr, n),
		bufs:  bufs,
	}
}

// stampCtrl is room for one SCM_TIMESTAMPNS message (32 bytes) and spare.
const stampCtrl = 64

// KeepStamps makes RecvBatch take each datagram's control data, so that
// Stamp can read the kernel's arrival time (the socket needs
// SO_TIMESTAMPNS).
func (b *Batch) KeepStamps() { b.ctrl = make([]byte, len(b.hdrs)*stampCtrl) }

// Cap returns how many datagrams one call can move.
func (b *Batch) Cap() int { return len(b.hdrs) }

// RecvBatch reads as many waiting datagrams from the non-blocking socket fd
// as there are buffers, without blocking, and returns how many it read; 0,
// nil means none was waiting. Datagram and Truncated describe each one
// until the next call.
func (b *Batch) RecvBatch(fd int) (int, error) {
	b.n, b.head, b.tail = 0, 0, 0
	if len(b.hdrs) == 0 {
		return 0, nil
	}
	for i := range b.hdrs {
		buf := b.bufs[i]
		iov := &b.iovs[i]
		iov.Base = nil
		if len(buf) > 0 {
			iov.Base = &buf[0]
		}
		iov.SetLen(len(buf))
		h := &b.hdrs[i]
		h.Hdr = unix.Msghdr{
			Name:    (*byte)(unsafe.Pointer(&b.names[i])),
			Namelen: unix.SizeofSockaddrInet6,
			Iov:     iov,
		}
		h.Hdr.SetIovlen(1)
		if b.ctrl != nil {
			h.Hdr.Control = &b.ctrl[i*stampCtrl]
			h.Hdr.SetControllen(stampCtrl)
		}
		h.Len = 0
	}
	for {
		r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.hdrs[0])),
			uintptr(len(b.hdrs)), unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			b.n = int(r)
			return b.n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, nil
		}
		return 0, errnoErr("recvmmsg", e)
	}
}

// Datagram returns the i-th datagram of the last RecvBatch, a view into the
// caller's buffer, and its source address. It returns nil and the zero
// AddrPort for i out of range.
func (b *Batch) Datagram(i int) ([]byte, netip.AddrPort) {
	if i < 0 || i >= b.n {
		return nil, netip.AddrPort{}
	}
	h := &b.hdrs[i]
	n := min(int(h.Len), len(b.bufs[i]))
	return b.bufs[i][:n], addrPort(&b.names[i], h.Hdr.Namelen)
}

// Stamp returns the i-th datagram's arrival time on CLOCK_REALTIME (ns),
// as the kernel stamped it; 0 without KeepStamps or a stamp.
func (b *Batch) Stamp(i int) int64 {
	if i < 0 || i >= b.n || b.ctrl == nil {
		return 0
	}
	c := b.ctrl[i*stampCtrl : i*stampCtrl+min(int(b.hdrs[i].Hdr.Controllen), stampCtrl)]
	hl := unix.CmsgLen(0)
	for len(c) >= hl {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
		l := int(h.Len)
		if l < hl || l > len(c) {
			return 0
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && l >= hl+int(unsafe.Sizeof(unix.Timespec{})) {
			return (*unix.Timespec)(unsafe.Pointer(&c[hl])).Nano()
		}
		c = c[min(len(c), unix.CmsgSpace(l-hl)):]
	}
	return 0
}

// Truncated reports whether the i-th datagram of the last RecvBatch was
// longer than its buffer (its tail is lost).
func (b *Batch) Truncated(i int) bool {
	return i >= 0 && i < b.n && b.hdrs[i].Hdr.Flags&unix.MSG_TRUNC != 0
}

// Queue adds a datagram to send to to. p is not copied: it must stay
// unchanged until SendBatch has sent it, and the same p may be queued for
// several destinations. The zero AddrPort sends to the socket's connected
// peer. Queue returns false when the Batch is full or to has an IPv6 zone
// (scope ids are not supported).
func (b *Batch) Queue(p []byte, to netip.AddrPort) bool {
	if b.tail == len(b.hdrs) || to.Addr().Zone() != "" {
		return false
	}
	i := b.tail
	iov := &b.iovs[i]
	iov.Base = nil
	if len(p) > 0 {
		iov.Base = &p[0]
	}
	iov.SetLen(len(p))
	h := &b.hdrs[i]
	h.Hdr = unix.Msghdr{Iov: iov}
	h.Hdr.SetIovlen(1)
	if n := putSockaddr(&b.names[i], to); n > 0 {
		h.Hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Hdr.Namelen = n
	}
	h.Len = 0
	b.tail++
	b.n = 0
	return true
}

// Queued returns how many datagrams wait to be sent.
func (b *Batch) Queued() int { return b.tail - b.head }

// Reset drops every queued datagram.
func (b *Batch) Reset() { b.head, b.tail = 0, 0 }

// SendBatch sends the queued datagrams in order on the non-blocking socket
// fd and returns how many it sent. When the socket buffer is full it stops
// with a nil error and leaves the rest queued (Queued() > 0): wait until fd
// is writable and call again, or Reset to drop them. When the kernel
// rejects a datagram (say, no route to its destination), SendBatch drops
// that one datagram from the queue and returns the error, so that a bad
// destination never blocks the others: call again to send the rest.
func (b *Batch) SendBatch(fd int) (int, error) {
	sent := 0
	for b.head < b.tail {
		r, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.hdrs[b.head])),
			uintptr(b.tail-b.head), unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			if r == 0 { // cannot happen with a non-empty queue; never spin
				return sent, nil
			}
			b.head += int(r)
			sent += int(r)
			continue
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return sent, nil
		}
		b.head++
		if b.head == b.tail {
			b.Reset()
		}
		return sent, errnoErr("sendmmsg", e)
	}
	b.Reset()
	return sent, nil
}
