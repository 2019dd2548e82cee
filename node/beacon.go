package node

import (
	"sync/atomic"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/master"
	"github.com/hbd-ha/hbd/media"
)

// Beacon sockets (docs/wire-native.md, "Beacon sockets"): native status
// beacons arrive on a socket of their own that the loop does not poll;
// the node drains it at every wake-up, before the fd handlers and the
// timers, so an idle node wakes once per keepalive (its own send tick)
// instead of once more for each peer's status. The kernel stamps each
// beacon's arrival, and the master gets that time, so a beacon read late
// counts from when it came.

// beaconState is the node's beacon sockets. It belongs to the loop.
type beaconState struct {
	media []beaconMedium
	batch *media.BeaconBatch
	last  int64         // the previous drain's time: no arrival is placed before it
	read  atomic.Uint64 // beacons read (tests)
}

type beaconMedium struct {
	m media.Medium
	b media.Beaconer
}

// wantBeaconSocket: only where this node may send native statuses as
// beacons (not msgfmt classic or netstring, no serial medium) and the
// keepalive is long enough that idle cost matters more than the read's
// latency (under fastKeepalive the loop is tuned for latency).
func wantBeaconSocket(c *config.Config) bool {
	if c.NoBeaconSocket || c.Native == config.NativeOff || c.Keepalive < fastKeepalive {
		return false
	}
	for _, m := range c.Media {
		if m.Type == "serial" {
			return false
		}
	}
	return true
}

// openBeacons collects the media that opened a beacon socket and logs
// those that could not.
func (n *Node) openBeacons() {
	for _, m := range n.media {
		b, ok := m.(media.Beaconer)
		if !ok {
			continue
		}
		if b.BeaconFD() < 0 {
			if err := b.BeaconErr(); err != nil {
				n.log.Logf(hblog.Info, "hbd: %s %s: no beacon socket (%v): beacons on the receive socket", m.Type(), m.Name(), err)
			}
			continue
		}
		n.beacon.media = append(n.beacon.media, beaconMedium{m, b})
	}
	if len(n.beacon.media) > 0 {
		n.beacon.batch = media.NewBeaconBatch(32, media.MaxDatagram)
	}
}

// drainBeacons is the loop's Drain: it reads every beacon socket and
// hands each beacon to the master at its arrival time.
func (n *Node) drainBeacons(now int64) {
	bs := &n.beacon
	from := bs.last
	bs.last = now
	got := false
	var off, wall int64
	for _, bm := range bs.media {
		for range maxRecvBatches {
			k, err := bm.b.RecvBeacons(bs.batch)
			if err != nil {
				n.log.Logf(hblog.Error, "%s %s: read: %v", bm.m.Type(), bm.m.Name(), err)
				break
			}
			if k == 0 {
				break
			}
			if !got {
				got = true
				w := time.Now()
				off, wall = w.UnixNano()-sysio.Monotonic(), w.Unix()
			}
			bs.read.Add(uint64(k))
			n.received.Add(uint64(k))
			for j := range k {
				t := master.Time{Mono: arrival(bs.batch.Stamp(j), off, from, now), Wall: wall}
				n.receiveFiltered(bm.m, bs.batch.At(j), t)
			}
			if k < bs.batch.Cap() {
				break
			}
		}
	}
	if got {
		n.flush()
	}
}

// arrival converts a kernel stamp (CLOCK_REALTIME ns, 0 for none) to the
// loop's clock, given realtime-monotonic off, and clamps it into [from,
// now]: a stepped wall clock can neither date a beacon before the drain
// that could have read it nor after the one that did.
func arrival(stamp, off, from, now int64) int64 {
	if stamp == 0 {
		return now
	}
	return min(max(stamp-off, from), now)
}
