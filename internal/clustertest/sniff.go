package clustertest

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/netnstest"
	"github.com/hbd-ha/hbd/wire"
)

// Sniffer counts the heartbeat datagrams a quiet host receives on the
// cluster's port (broadcasts reach it like any node): by source, in the
// native format or heartbeat's, with when they arrived.
type Sniffer struct {
	mu   sync.Mutex
	seen []Sniffed
	conn *net.UDPConn
}

// Sniffed is one datagram a Sniffer received.
type Sniffed struct {
	At     time.Time
	From   netip.Addr
	Native bool
	Data   []byte // the payload (kept for the first maxKept datagrams)
}

// maxKept bounds the payloads a Sniffer keeps (for replays).
const maxKept = 4096

// Sniff listens on port (694 for heartbeat's default) in host h until the
// test ends. The host must run no daemon of its own on that port.
func Sniff(t testing.TB, h *netnstest.Host, port int) *Sniffer {
	t.Helper()
	s := &Sniffer{}
	var err error
	h.Run(func() { s.conn, err = net.ListenUDP("udp4", &net.UDPAddr{Port: port}) })
	if err != nil {
		t.Fatalf("sniff: %v", err)
	}
	t.Cleanup(func() { s.conn.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := s.conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			p := Sniffed{At: time.Now(), From: from.Addr().Unmap(), Native: wire.IsNative(buf[:n])}
			s.mu.Lock()
			if len(s.seen) < maxKept {
				p.Data = append([]byte(nil), buf[:n]...)
			}
			s.seen = append(s.seen, p)
			s.mu.Unlock()
		}
	}()
	return s
}

// Count returns how many datagrams from came since since, native and in
// heartbeat's form. The zero Addr counts every source.
func (s *Sniffer) Count(from netip.Addr, since time.Time) (native, heartbeat int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.seen {
		if p.At.Before(since) || (from.IsValid() && p.From != from) {
			continue
		}
		if p.Native {
			native++
		} else {
			heartbeat++
		}
	}
	return native, heartbeat
}

// Payloads returns the kept payloads from from, in arrival order.
func (s *Sniffer) Payloads(from netip.Addr) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]byte
	for _, p := range s.seen {
		if p.Data != nil && p.From == from {
			out = append(out, p.Data)
		}
	}
	return out
}
