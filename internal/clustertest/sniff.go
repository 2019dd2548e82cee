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
}

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
			s.mu.Lock()
			s.seen = append(s.seen, Sniffed{At: time.Now(), From: from.Addr().Unmap(), Native: wire.IsNative(buf[:n])})
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
