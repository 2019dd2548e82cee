package apphb_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/apphb"
	"github.com/hbd-ha/hbd/apphb/core"
)

// closedSoon reports whether the server closed c within a second.
func closedSoon(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Second))
	var b [64]byte
	for {
		_, err := c.Read(b[:])
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return false
		}
		if err != nil {
			return true // EOF, or a reset when our unread bytes were dropped
		}
	}
}

// The caps: a frame above MaxFrame, a client beyond MaxClients and a
// client above MaxRate are closed, and the service goes on answering.
func TestCaps(t *testing.T) {
	s := start(t, t.TempDir(), core.Config{}, apphb.Options{MaxClients: 5, MaxRate: 50})

	big := dial(t, s.sock)
	big.send(make([]byte, apphb.MaxFrame+1))
	if !closedSoon(big.c) {
		t.Error("a frame above MaxFrame did not close its client")
	}

	var held []*client
	for range 5 {
		held = append(held, dial(t, s.sock))
	}
	extra := dial(t, s.sock)
	if !closedSoon(extra.c) {
		t.Error("a sixth client was kept with MaxClients 5")
	}
	for _, c := range held {
		c.c.Close()
	}
	time.Sleep(50 * time.Millisecond)

	flood := dial(t, s.sock)
	if rc := flood.reg("flood", "x"); rc != 0 {
		t.Fatal(rc)
	}
	hb := core.AppendBare(nil, core.KindHB)
	for range 200 {
		if flood.send(hb) != nil {
			break
		}
	}
	if !closedSoon(flood.c) {
		t.Error("a client sending 200 messages at once was kept with MaxRate 50")
	}
	waitLine(t, s.glue, "'flood' / 'x' (pid", time.Second) // its hangup
	if st := s.srv.Stats(); st.RateClosed != 1 {
		t.Errorf("RateClosed %d", st.RateClosed)
	}

	ok := dial(t, s.sock)
	if rc := ok.reg("after", "caps"); rc != 0 {
		t.Errorf("reg after the caps: rc %d", rc)
	}
}

// Closing the service is not the clients' hangup: nothing is reported.
func TestCloseIsNoHangup(t *testing.T) {
	s := start(t, t.TempDir(), core.Config{}, apphb.Options{})
	c := dial(t, s.sock)
	if rc := c.reg("stay", "x"); rc != 0 {
		t.Fatal(rc)
	}
	onLoop(t, s, func() { s.srv.Close() })
	if !closedSoon(c.c) {
		t.Fatal("client still connected after Close")
	}
	time.Sleep(20 * time.Millisecond)
	if strings.Contains(s.text(), "hangup") {
		t.Errorf("a hangup reported for our own Close:\n%s", s.text())
	}
	n := make(chan int, 1)
	onLoop(t, s, func() { n <- s.Clients() })
	if c := <-n; c != 0 {
		t.Errorf("the layer still holds %d clients after Close", c)
	}
}
