package bpf

import (
	"net/netip"
	"time"
)

// Denier decides which source addresses to deny: one that fails
// authentication Failures times within Window is denied for TTL. The
// kernel map entry and the user-space one expire together, so a peer that
// was re-keyed is heard again after TTL.
//
// An address that sent an authenticated packet within Trust is never
// denied: otherwise a forger spoofing a live peer's address would have
// that peer's heartbeats dropped, a false death of its own making. Trust
// is the deadtime.
//
// A Denier is owned by the event loop's goroutine.
type Denier struct {
	Failures int
	Window   time.Duration
	TTL      time.Duration
	Trust    time.Duration

	rules Rules
	track map[netip.Addr]*source
}

type source struct {
	first    int64 // start of the current failure window
	failures int
	lastOK   int64 // last authenticated packet, 0 if none
}

// Defaults for Denier: five failures in ten seconds deny for a minute.
const (
	DefaultFailures = 5
	DefaultWindow   = 10 * time.Second
	DefaultTTL      = time.Minute
)

// maxTracked bounds the addresses followed, so a flood from random
// sources cannot grow the table without limit; beyond it, new sources are
// not tracked (they stay filtered by authentication).
const maxTracked = 4096

// NewDenier returns a Denier with the defaults and trust window trust.
func NewDenier(trust time.Duration) *Denier {
	return &Denier{Failures: DefaultFailures, Window: DefaultWindow, TTL: DefaultTTL, Trust: trust,
		rules: Rules{Denied: make(map[netip.Addr]int64)}, track: make(map[netip.Addr]*source)}
}

func (d *Denier) get(a netip.Addr) *source {
	s := d.track[a]
	if s == nil && len(d.track) < maxTracked {
		s = &source{}
		d.track[a] = s
	}
	return s
}

// AuthOK records an authenticated packet from a at now (monotonic ns).
func (d *Denier) AuthOK(a netip.Addr, now int64) {
	a = a.Unmap()
	if s := d.track[a]; s != nil {
		s.lastOK = now
		s.failures = 0
		return
	}
	if s := d.get(a); s != nil {
		s.lastOK = now
	}
}

// AuthFailed records a failed packet from a at now. It returns the expiry
// to deny a until, and true, when a has just crossed the threshold.
func (d *Denier) AuthFailed(a netip.Addr, now int64) (until int64, deny bool) {
	a = a.Unmap()
	if !a.IsValid() {
		return 0, false
	}
	if exp, ok := d.rules.Denied[a]; ok && now < exp {
		return 0, false
	}
	s := d.get(a)
	if s == nil {
		return 0, false
	}
	if s.lastOK != 0 && now-s.lastOK < int64(d.Trust) {
		return 0, false
	}
	if s.failures == 0 || now-s.first > int64(d.Window) {
		s.first, s.failures = now, 0
	}
	s.failures++
	if s.failures < d.Failures {
		return 0, false
	}
	s.failures = 0
	until = now + int64(d.TTL)
	d.rules.Denied[a] = until
	return until, true
}

// Expire forgets denials that ended by now and sources idle for longer
// than Window and Trust, and appends the addresses whose denial ended.
func (d *Denier) Expire(now int64, ended []netip.Addr) []netip.Addr {
	for a, exp := range d.rules.Denied {
		if now >= exp {
			delete(d.rules.Denied, a)
			ended = append(ended, a)
		}
	}
	idle := max(int64(d.Window), int64(d.Trust))
	for a, s := range d.track {
		if now-max(s.first, s.lastOK) > idle {
			delete(d.track, a)
		}
	}
	return ended
}

// Denied reports whether a is denied at now.
func (d *Denier) Denied(a netip.Addr, now int64) bool {
	exp, ok := d.rules.Denied[a.Unmap()]
	return ok && now < exp
}

// Rules returns the rules user-space filtering applies: the denials, with
// the accepted clusters set by the caller.
func (d *Denier) Rules() *Rules { return &d.rules }
