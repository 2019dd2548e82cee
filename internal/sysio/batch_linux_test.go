package sysio

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"testing"
)

func TestBatchRoundTrip(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "::1"} {
		t.Run(ip, func(t *testing.T) {
			sfd, saddr := udpSocket(t, ip)
			rfd, raddr := udpSocket(t, ip)

			out := NewBatch(makeBufs(8, 0))
			var payloads [][]byte
			for i := range 5 {
				p := fmt.Appendf(nil, "datagram %d %s", i, bytes.Repeat([]byte{'x'}, i*100))
				payloads = append(payloads, p)
				if !out.Queue(p, raddr) {
					t.Fatalf("Queue %d refused", i)
				}
			}
			if n, err := out.SendBatch(sfd); n != 5 || err != nil || out.Queued() != 0 {
				t.Fatalf("SendBatch = %d, %v (queued %d), want 5, nil (0)", n, err, out.Queued())
			}

			in := NewBatch(makeBufs(8, 1500))
			n, err := in.RecvBatch(rfd)
			if err != nil || n != 5 {
				t.Fatalf("RecvBatch = %d, %v, want 5, nil", n, err)
			}
			for i := range n {
				p, from := in.Datagram(i)
				if !bytes.Equal(p, payloads[i]) {
					t.Errorf("datagram %d = %q, want %q", i, p, payloads[i])
				}
				if from != saddr {
					t.Errorf("datagram %d from %v, want %v", i, from, saddr)
				}
				if in.Truncated(i) {
					t.Errorf("datagram %d truncated", i)
				}
			}
			if p, from := in.Datagram(n); p != nil || from.IsValid() {
				t.Errorf("Datagram(%d) past the end = %q, %v", n, p, from)
			}
			if n, err := in.RecvBatch(rfd); n != 0 || err != nil {
				t.Errorf("RecvBatch on empty socket = %d, %v, want 0, nil", n, err)
			}
		})
	}
}

func TestBatchMoreWaitingThanBuffers(t *testing.T) {
	sfd, _ := udpSocket(t, "127.0.0.1")
	rfd, raddr := udpSocket(t, "127.0.0.1")
	out := NewBatch(makeBufs(10, 0))
	for i := range 10 {
		out.Queue([]byte{byte(i)}, raddr)
	}
	if n, err := out.SendBatch(sfd); n != 10 || err != nil {
		t.Fatalf("SendBatch = %d, %v", n, err)
	}
	in := NewBatch(makeBufs(4, 16))
	var got []byte
	for range 4 {
		n, err := in.RecvBatch(rfd)
		if err != nil {
			t.Fatal(err)
		}
		if n > in.Cap() {
			t.Fatalf("RecvBatch = %d > Cap %d", n, in.Cap())
		}
		for i := range n {
			p, _ := in.Datagram(i)
			got = append(got, p...)
		}
	}
	if want := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !bytes.Equal(got, want) {
		t.Errorf("received %v, want %v", got, want)
	}
}

func TestBatchTruncated(t *testing.T) {
	sfd, _ := udpSocket(t, "127.0.0.1")
	rfd, raddr := udpSocket(t, "127.0.0.1")
	out := NewBatch(makeBufs(1, 0))
	out.Queue([]byte("0123456789"), raddr)
	if _, err := out.SendBatch(sfd); err != nil {
		t.Fatal(err)
	}
	in := NewBatch(makeBufs(1, 4))
	if n, err := in.RecvBatch(rfd); n != 1 || err != nil {
		t.Fatalf("RecvBatch = %d, %v", n, err)
	}
	p, _ := in.Datagram(0)
	if string(p) != "0123" || !in.Truncated(0) {
		t.Errorf("got %q truncated=%v, want \"0123\" truncated=true", p, in.Truncated(0))
	}
}

// One bad destination must cost only its own datagram.
func TestBatchSendErrorDropsOne(t *testing.T) {
	sfd, _ := udpSocket(t, "127.0.0.1")
	rfd, raddr := udpSocket(t, "127.0.0.1")
	bad := netip.MustParseAddrPort("[::1]:9") // IPv6 destination on an IPv4 socket
	out := NewBatch(makeBufs(4, 0))
	out.Queue([]byte("a"), raddr)
	out.Queue([]byte("b"), bad)
	out.Queue([]byte("c"), raddr)
	n, err := out.SendBatch(sfd)
	if n != 1 || err == nil {
		t.Fatalf("SendBatch = %d, %v, want 1 and an error", n, err)
	}
	var se interface{ Unwrap() error }
	if !errors.As(err, &se) || !errors.Is(err, syscall.EAFNOSUPPORT) && !errors.Is(err, syscall.EINVAL) {
		t.Errorf("error %v: want a syscall error (EAFNOSUPPORT or EINVAL)", err)
	}
	if out.Queued() != 1 {
		t.Fatalf("Queued = %d after the failure, want 1", out.Queued())
	}
	if n, err := out.SendBatch(sfd); n != 1 || err != nil || out.Queued() != 0 {
		t.Fatalf("second SendBatch = %d, %v (queued %d), want 1, nil (0)", n, err, out.Queued())
	}
	in := NewBatch(makeBufs(4, 16))
	n, _ = in.RecvBatch(rfd)
	var got string
	for i := range n {
		p, _ := in.Datagram(i)
		got += string(p)
	}
	if got != "ac" {
		t.Errorf("received %q, want \"ac\"", got)
	}
}

func TestBatchQueueLimits(t *testing.T) {
	b := NewBatch(makeBufs(2, 0))
	to := netip.MustParseAddrPort("127.0.0.1:694")
	if !b.Queue(nil, to) || !b.Queue(nil, to) {
		t.Fatal("Queue refused within capacity")
	}
	if b.Queue(nil, to) {
		t.Error("Queue accepted past capacity")
	}
	b.Reset()
	if b.Queued() != 0 || !b.Queue(nil, to) {
		t.Error("Reset did not empty the queue")
	}
	if b.Queue(nil, netip.MustParseAddrPort("[fe80::1%eth0]:694")) {
		t.Error("Queue accepted an address with a zone")
	}
}

func TestBatchIPv4MappedSourceUnmapped(t *testing.T) {
	rfd, raddr := udpSocket(t, "::") // dual-stack
	sfd, saddr := udpSocket(t, "127.0.0.1")
	out := NewBatch(makeBufs(1, 0))
	out.Queue([]byte("x"), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), raddr.Port()))
	if _, err := out.SendBatch(sfd); err != nil {
		t.Fatal(err)
	}
	in := NewBatch(makeBufs(1, 16))
	if n, err := in.RecvBatch(rfd); n != 1 || err != nil {
		t.Fatalf("RecvBatch = %d, %v", n, err)
	}
	if _, from := in.Datagram(0); from != saddr {
		t.Errorf("from = %v, want %v", from, saddr)
	}
}

func TestBatchNoAllocs(t *testing.T) {
	sfd, _ := udpSocket(t, "127.0.0.1")
	rfd, raddr := udpSocket(t, "127.0.0.1")
	out := NewBatch(makeBufs(16, 0))
	in := NewBatch(makeBufs(16, 256))
	msg := []byte("heartbeat")
	noAllocs(t, "SendBatch+RecvBatch", func() {
		for range 16 {
			out.Queue(msg, raddr)
		}
		if n, err := out.SendBatch(sfd); n != 16 || err != nil {
			t.Fatalf("SendBatch = %d, %v", n, err)
		}
		if n, err := in.RecvBatch(rfd); n != 16 || err != nil {
			t.Fatalf("RecvBatch = %d, %v", n, err)
		}
		for i := range 16 {
			in.Datagram(i)
		}
	})
	noAllocs(t, "RecvBatch empty", func() { in.RecvBatch(rfd) })
}

func BenchmarkBatch16(b *testing.B) {
	sfd, _ := udpSocket(b, "127.0.0.1")
	rfd, raddr := udpSocket(b, "127.0.0.1")
	out := NewBatch(makeBufs(16, 0))
	in := NewBatch(makeBufs(16, 256))
	msg := make([]byte, 200)
	b.ReportAllocs()
	for b.Loop() {
		for range 16 {
			out.Queue(msg, raddr)
		}
		out.SendBatch(sfd)
		if n, err := in.RecvBatch(rfd); n != 16 || err != nil {
			b.Fatalf("RecvBatch = %d, %v", n, err)
		}
	}
}
