package clustertest

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/netnstest"
)

// VIP returns the virtual address the resource tests use on link 0:
// 198.18.0.100, inside every host's /24 and outside netnstest's host range.
func VIP() netip.Addr { return netip.AddrFrom4([4]byte{198, 18, 0, 100}) }

// ServicePort is the TCP port of the service behind the VIP.
const ServicePort = 7007

// Serve answers TCP connections to any address of h on ServicePort with
// name and a newline, as a service behind a VIP would: a client probing
// the VIP learns which host holds it. The listener lives until the test
// ends; it belongs to h's namespace, not to any daemon, so it keeps
// answering for a VIP that a killed daemon left configured.
func Serve(t testing.TB, h *netnstest.Host, name string) {
	t.Helper()
	var ln net.Listener
	var err error
	h.Run(func() { ln, err = net.Listen("tcp4", ":"+strconv.Itoa(ServicePort)) })
	if err != nil {
		t.Fatalf("%s: listen: %v", h.Name(), err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(name + "\n"))
			c.Close()
		}
	}()
}

// Answer is one successful probe: when it completed and who answered.
type Answer struct {
	At   time.Time
	From string
}

// Prober connects to the VIP from a client host once a millisecond from
// each of two staggered loops (an attempt gives up after 3 ms), so the
// first answer after a change is seen within about a millisecond, and
// records who answers. It is paced, not spinning: on a two-CPU machine a
// busy prober would starve the daemons it measures.
type Prober struct {
	mu      sync.Mutex
	answers []Answer
	fails   int
	stop    chan struct{}
	done    sync.WaitGroup
}

// Probe starts probing vip:ServicePort from client until the test ends.
func Probe(t testing.TB, client *netnstest.Host, vip netip.Addr) *Prober {
	t.Helper()
	p := &Prober{stop: make(chan struct{})}
	addr := netip.AddrPortFrom(vip, ServicePort).String()
	// Two staggered loops: one attempt stuck on a dead address leaves the
	// other free to see the new holder.
	for i := range 2 {
		p.done.Add(1)
		ready := make(chan struct{})
		go client.Run(func() {
			close(ready)
			defer p.done.Done()
			time.Sleep(time.Duration(i) * 500 * time.Microsecond)
			d := net.Dialer{Timeout: 3 * time.Millisecond}
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-p.stop:
					return
				case <-tick.C:
				}
				from, err := probeOnce(&d, addr)
				p.mu.Lock()
				if err != nil {
					p.fails++
				} else {
					// Stamped under the lock: answers stay in time order.
					p.answers = append(p.answers, Answer{time.Now(), from})
				}
				p.mu.Unlock()
			}
		})
		<-ready
	}
	t.Cleanup(p.Stop)
	return p
}

func probeOnce(d *net.Dialer, addr string) (string, error) {
	c, err := d.Dial("tcp4", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// Stop ends the probing; Answers stay readable.
func (p *Prober) Stop() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.done.Wait()
}

// First returns the first answer from the named host at or after since.
func (p *Prober) First(from string, since time.Time) (Answer, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.answers[p.index(since):] {
		if a.From == from {
			return a, true
		}
	}
	return Answer{}, false
}

// index is the position of the first answer at or after since (the
// answers are in time order); callers hold mu.
func (p *Prober) index(since time.Time) int {
	return sort.Search(len(p.answers), func(i int) bool { return !p.answers[i].At.Before(since) })
}

// Last returns the latest answer.
func (p *Prober) Last() (Answer, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.answers) == 0 {
		return Answer{}, false
	}
	return p.answers[len(p.answers)-1], true
}

// Since returns every answer at or after since.
func (p *Prober) Since(since time.Time) []Answer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Answer(nil), p.answers[p.index(since):]...)
}

// WaitFrom waits until the named host answers (at or after since) and
// returns that answer.
func (p *Prober) WaitFrom(t testing.TB, from string, since time.Time, timeout time.Duration) Answer {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if a, ok := p.First(from, since); ok {
			return a
		}
	}
	last, _ := p.Last()
	t.Fatalf("VIP: no answer from %s within %v (last answer: %q at %s)", from, timeout, last.From, last.At.Format("15:04:05.000"))
	return Answer{}
}

// Gap returns the longest time without any answer between from and to,
// using the answers recorded.
func (p *Prober) Gap(from, to time.Time) time.Duration {
	prev := from
	var gap time.Duration
	for _, a := range p.Since(from) {
		if a.At.After(to) {
			break
		}
		gap = max(gap, a.At.Sub(prev))
		prev = a.At
	}
	return max(gap, to.Sub(prev))
}

// Ping sends one ICMP echo from client to addr and reports whether it was
// answered within a second.
func Ping(client *netnstest.Host, addr netip.Addr) bool {
	_, err := client.Exec("ping", "-n", "-q", "-c", "1", "-W", "1", addr.String())
	return err == nil
}

// HasAddr reports whether addr is configured on any interface of h.
func HasAddr(t testing.TB, h *netnstest.Host, addr netip.Addr) bool {
	t.Helper()
	out, err := h.Exec("ip", "-o", "-4", "addr", "show")
	if err != nil {
		t.Fatalf("%s: ip addr: %v\n%s", h.Name(), err, out)
	}
	return strings.Contains(string(out), " "+addr.String()+"/")
}

// String describes an answer for logs.
func (a Answer) String() string { return fmt.Sprintf("%s@%s", a.From, a.At.Format("15:04:05.000")) }
