package node

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/loop"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/media"
	"github.com/hbd-ha/hbd/media/bpf"
	"github.com/hbd-ha/hbd/metrics"
)

// This file keeps foreign packets away from the master (hbd_bpf_filter):
// the kernel filter where it loads, the same rules in user space where it
// does not; a deny list fed by authentication failures; and rate-limited
// logs of those failures.

// filter is the node's packet filter state. It belongs to the loop.
type filter struct {
	kernel  *bpf.Filter // nil: filtering in user space
	denier  *bpf.Denier
	user    bpf.Counters // user-space verdicts (all of them without a kernel filter)
	expire  loop.Timer
	ended   []netip.Addr
	authLog map[netip.Addr]*authLogEntry
	// authLogOverflow counts failures of sources beyond the log table.
	authLogOverflow uint64
}

type authLogEntry struct {
	next       int64 // when a line may be logged again
	suppressed uint64
	iface      string
}

// Tuning: one auth-failure line per source, then at most one summary a
// minute; the table of sources logged is bounded.
const (
	authLogEvery   = time.Minute
	authLogSources = 1024
	expireEvery    = 5 * time.Second
)

// datagram reports whether a medium is one of the UDP media the filter
// (and the native format) applies to.
func datagram(m media.Medium) bool {
	switch m.Type() {
	case "bcast", "mcast", "ucast", "ucast6", "mcast6":
		return true
	}
	return false
}

// openFilter loads the kernel filter as hbd_bpf_filter asks and attaches
// it to every datagram medium. Only "on" makes a failure fatal.
func (n *Node) openFilter() error {
	f := &n.filter
	f.denier = bpf.NewDenier(n.cfg.Deadtime)
	f.authLog = make(map[netip.Addr]*authLogEntry)
	f.expire.Init(func(int64) { n.expireDenials() })
	mode := n.cfg.BPFFilter
	if mode == "" {
		mode = "auto"
	}
	n.setClusters()
	if mode == "off" {
		return nil
	}
	k, err := bpf.Load()
	if err == nil {
		for _, m := range n.media {
			if !datagram(m) {
				continue
			}
			if err = attachFilter(k, m); err != nil {
				break
			}
		}
		if err != nil {
			k.Close()
		}
	}
	if err != nil {
		if mode == "on" {
			return fmt.Errorf("hbd_bpf_filter on: %w", err)
		}
		if errors.Is(err, bpf.ErrNotSupported) {
			n.log.Logf(hblog.Info, "hbd: kernel packet filter not available (%v): filtering in user space", err)
		} else {
			// Our own bug (a refused program) or a failed attach: loud.
			n.log.Logf(hblog.Error, "hbd: kernel packet filter: %v: filtering in user space", err)
		}
		return nil
	}
	f.kernel = k
	n.setClusters()
	n.log.Logf(hblog.Info, "hbd: kernel packet filter attached to the datagram media")
	return nil
}

// attachFilter attaches k to m's sockets. Beside a beacon socket, each
// socket takes its share only, as media's classic filters did, which
// the kernel filter replaces (a socket holds one): so every datagram is
// still judged and counted once.
func attachFilter(k *bpf.Filter, m media.Medium) error {
	b, ok := m.(media.Beaconer)
	if !ok || b.BeaconFD() < 0 {
		return k.Attach(m.FD())
	}
	if err := k.AttachRole(m.FD(), bpf.RoleNoBeacons); err != nil {
		return err
	}
	return k.AttachRole(b.BeaconFD(), bpf.RoleBeacons)
}

// setClusters accepts the native cluster ids of the master's keyring.
func (n *Node) setClusters() {
	f := &n.filter
	ids := n.keys.AppendClusterIDs(nil)
	f.denier.Rules().Clusters = ids
	if f.kernel != nil {
		if err := f.kernel.SetClusters(ids); err != nil {
			n.log.Logf(hblog.Error, "hbd: kernel packet filter: %v", err)
		}
	}
}

func (n *Node) closeFilter() {
	if n.filter.kernel != nil {
		n.filter.kernel.Close()
		n.filter.kernel = nil
	}
}

// receiveFiltered hands one datagram to the master, unless the user-space
// filter (standing in for a kernel one) drops it, and learns from the
// master's verdict whom to deny.
func (n *Node) receiveFiltered(m media.Medium, p media.Packet, now master.Time) {
	f := &n.filter
	from := p.From.Addr()
	if f.denier == nil || !datagram(m) {
		n.master.Receive(now, p.Medium, p.Data)
		return
	}
	t := now.Mono
	if f.kernel == nil {
		r := f.denier.Rules().Classify(p.Data, from, t)
		f.user[r]++
		if r != bpf.ReasonPass {
			return
		}
	}
	before := n.master.Stats()
	n.master.Receive(now, p.Medium, p.Data)
	after := n.master.Stats()
	switch {
	case after.AuthFailed != before.AuthFailed:
		n.authFailed(m, from, t)
	case after.Malformed == before.Malformed:
		f.denier.AuthOK(from, t)
	}
}

// authFailed counts a failed packet against its source, denies the source
// once it crosses the threshold, and logs within the rate limit.
func (n *Node) authFailed(m media.Medium, from netip.Addr, t int64) {
	f := &n.filter
	if until, deny := f.denier.AuthFailed(from, t); deny {
		if f.kernel != nil {
			if err := f.kernel.Deny(from, until); err != nil {
				n.log.Logf(hblog.Error, "hbd: kernel packet filter: %v", err)
			}
		}
		n.log.Logf(hblog.Warn, "hbd: %s keeps failing authentication: its heartbeat packets are dropped for %v", from, bpf.DefaultTTL)
		if !f.expire.Pending() {
			n.loop.After(&f.expire, expireEvery)
		}
	}
	if !n.cfg.LogBadpack {
		return
	}
	e := f.authLog[from]
	if e == nil {
		if len(f.authLog) >= authLogSources {
			f.authLogOverflow++
			return
		}
		e = &authLogEntry{iface: m.Type() + " " + m.Name()}
		f.authLog[from] = e
	}
	if t < e.next {
		e.suppressed++
		return
	}
	if e.suppressed > 0 {
		n.log.Logf(hblog.Warn, "hbd: %d more packets from %s on %s failed authentication in the last minute", e.suppressed, from, e.iface)
	} else {
		n.log.Logf(hblog.Warn, "hbd: packet from %s on %s failed authentication (another cluster, or another key?); further failures are counted once a minute", from, e.iface)
	}
	e.suppressed, e.next = 0, t+int64(authLogEvery)
	if !f.expire.Pending() {
		n.loop.After(&f.expire, expireEvery)
	}
}

// expireDenials lifts denials that ran out, in the kernel map too, and
// flushes auth-failure counts that were never summarised.
func (n *Node) expireDenials() {
	f := &n.filter
	now := n.loop.Now()
	f.ended = f.denier.Expire(now, f.ended[:0])
	for _, a := range f.ended {
		if f.kernel != nil {
			f.kernel.Undeny(a)
		}
		n.log.Logf(hblog.Info, "hbd: %s is heard again", a)
	}
	for a, e := range f.authLog {
		if now < e.next {
			continue
		}
		if e.suppressed > 0 {
			n.log.Logf(hblog.Warn, "hbd: %d more packets from %s on %s failed authentication in the last minute", e.suppressed, a, e.iface)
		}
		delete(f.authLog, a)
	}
	if len(f.authLog) > 0 || len(f.denier.Rules().Denied) > 0 {
		n.loop.After(&f.expire, expireEvery)
	}
}

// FilterCounters returns the packets the filter judged, by reason: the
// kernel's counters when it filters, plus user space's; and whether the
// kernel filter is attached. Loop goroutine only.
func (n *Node) filterCounters() (bpf.Counters, bool) {
	c := n.filter.user
	if n.filter.kernel == nil {
		return c, false
	}
	k, err := n.filter.kernel.Counters()
	if err != nil {
		return c, true
	}
	for r := range k {
		c[r] += k[r]
	}
	return c, true
}

// filterParam is the API parameter that answers with the filter's
// counters: not a directive, so no ha.cf line can shadow it.
const filterParam = "hbd_filter"

// filterSummary is the hbd_filter parameter the API answers (hbctl
// filter): "kernel=1 pass=N foreign_magic=N …".
func (n *Node) filterSummary() string {
	c, kernel := n.filterCounters()
	var b strings.Builder
	k := 0
	if kernel {
		k = 1
	}
	fmt.Fprintf(&b, "kernel=%d", k)
	for r := range bpf.NumReasons {
		fmt.Fprintf(&b, " %s=%d", r, c[r])
	}
	fmt.Fprintf(&b, " denied_sources=%d", len(n.filter.denier.Rules().Denied))
	return b.String()
}

// metricsFilter registers the filter's series; the kernel's counters are
// read at scrape time, from the HTTP goroutine (map reads are system
// calls, safe there).
func (n *Node) metricsFilter() {
	names := make([]string, bpf.NumReasons)
	for r := range bpf.NumReasons {
		names[r] = r.String()
	}
	var src metrics.FilterSource
	if k := n.filter.kernel; k != nil {
		src = func() ([]uint64, bool) {
			c, err := k.Counters()
			if err != nil {
				return nil, false
			}
			return c[:], true
		}
	}
	n.metrics.Filter(names, src)
}
