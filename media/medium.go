package media

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/wire"
)

// Medium is one open heartbeat medium: a bcast interface, a ucast peer, an
// mcast group, a ping node or group, or a serial line.
//
// The event loop owns it: it polls FD for reading, calls Recv until it
// returns 0, and calls Send for every packet it puts on the wire. A Medium
// is not safe for concurrent use.
type Medium interface {
	// Index is the medium's position in the configuration's media list; it
	// is copied into every Packet the medium receives.
	Index() int
	// Type is the plugin name: bcast, ucast, mcast, ucast6, mcast6, ping,
	// ping6, ping_group or serial.
	Type() string
	// Name is the link name heartbeat shows: the interface, the tty, the
	// ping host or the ping group's name.
	Name() string
	// FD is the non-blocking, close-on-exec descriptor to poll for input.
	FD() int
	// Recv reads what is waiting into b, replacing b's contents, and
	// returns how many packets b now holds. It never blocks. 0 with a nil
	// error means nothing is waiting; call it until then (which edge-
	// triggered polling requires). Packets that heartbeat's reader would
	// drop (a ping reply that is not ours, a truncated datagram) are
	// skipped here; everything else is handed up undecoded.
	Recv(b *Batch) (int, error)
	// Send puts one encoded packet on the medium: one datagram to each
	// destination for the UDP media, an ICMP echo built from it for the
	// ping media (status packets only; others are ignored), classic text
	// for serial. It never blocks, and once its buffers have grown to the
	// packets' size it allocates nothing unless it fails.
	Send(pkt []byte) error
	// Started returns the lines heartbeat logs while it opens this medium,
	// in order.
	Started() []Line
	// Close releases the medium's descriptors.
	Close() error
}

// Paced is a Medium whose writes are spread out in time: the serial line,
// which heartbeat writes in 512-byte chunks with a pause sized to the baud
// rate between them. The loop asks NextWrite when to come back and then
// calls WriteDue.
type Paced interface {
	Medium
	// NextWrite returns the monotonic time (nanoseconds, the clock of
	// Options.Now) at which queued output is due, and false when nothing
	// is queued.
	NextWrite() (due int64, ok bool)
	// WriteDue writes what is due at now.
	WriteDue(now int64) error
}

// Line is one line heartbeat logs about a medium.
type Line struct {
	Level config.Level
	Msg   string // verbatim, with heartbeat's "glib: " prefix for plugin lines
}

// Options are what opening a medium needs besides its configuration.
type Options struct {
	// Keyring signs and checks the NS_st messages of the ping media and
	// re-signs packets for serial, as heartbeat's plugins do. Required for
	// ping, ping6, ping_group and serial. The media use it from the
	// loop's goroutine only.
	Keyring *wire.Keyring
	// Baud is the serial speed; 0 means heartbeat's default, 19200.
	Baud int
	// Ident is the ICMP echo identifier; 0 means heartbeat's, the process
	// id modulo 65536.
	Ident uint16
	// BindTries and BindDelay bound the retries of a receive socket's bind
	// (heartbeat: 10 tries for bcast and ucast, 50 for mcast, ucast6 and
	// mcast6, one second apart). 0 means heartbeat's values.
	BindTries int
	BindDelay time.Duration
	// Now is the monotonic clock that paces serial output, in nanoseconds;
	// nil means sysio.Monotonic.
	Now func() int64
	// UcastBind is the local address ucast receive sockets bind to
	// (hbd_ucast_bind); invalid means heartbeat's 0.0.0.0. Nodes sharing
	// one machine (hbd-demo) each need their own address, as every
	// receive socket of one port otherwise shares the datagrams.
	UcastBind netip.Addr
	// BeaconSocket opens a beacon socket beside the receive socket of
	// the bcast, mcast and ucast media (see Beaconer).
	BeaconSocket bool
}

// Errors that callers may want to tell apart (errors.Is).
var (
	// ErrNoInterface: the configured interface does not exist.
	ErrNoInterface = errors.New("no such interface")
	// ErrUnsupported: a medium type hbd does not implement.
	ErrUnsupported = errors.New("medium type not supported")
)

// Error is a failure of one operation on one medium, such as
// "bcast eth0: bind 0.0.0.0:694: address already in use".
type Error struct {
	Medium string // type and name, "bcast eth0"
	Op     string // what failed, with its argument: "bind 0.0.0.0:694"
	Err    error
	// Lines are what heartbeat logs up to and including the failure (for
	// an open; empty for sends and receives).
	Lines []Line
}

func (e *Error) Error() string { return e.Medium + ": " + e.Op + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// base holds what every medium has.
type base struct {
	index int
	typ   string
	name  string
	lines []Line
}

func (b *base) Index() int      { return b.index }
func (b *base) Type() string    { return b.typ }
func (b *base) Name() string    { return b.name }
func (b *base) Started() []Line { return b.lines }

func (b *base) err(op string, err error) error {
	return &Error{Medium: b.typ + " " + b.name, Op: op, Err: err, Lines: b.lines}
}

// logf records a line a heartbeat plugin logs. Plugins log through glib,
// which prefixes "glib: "; heartbeat logs their CRIT lines as ERROR.
func (b *base) logf(level config.Level, format string, args ...any) {
	if level == config.LevelCrit {
		level = config.LevelError
	}
	b.lines = append(b.lines, Line{Level: level, Msg: "glib: " + fmt.Sprintf(format, args...)})
}

// Open opens medium m, which is the index-th of the configuration.
func Open(index int, m config.Medium, opt Options) (Medium, error) {
	b := base{index: index, typ: m.Type, name: m.Name}
	switch m.Type {
	case "bcast":
		return openBcast(b, m, opt)
	case "ucast":
		return openUcast(b, m, opt)
	case "mcast":
		return openMcast(b, m, opt)
	case "ucast6":
		return openUcast6(b, m, opt)
	case "mcast6":
		return openMcast6(b, m, opt)
	case "ping", "ping6", "ping_group":
		return openPing(b, m, opt)
	case "serial":
		return openSerial(b, m, opt)
	}
	return nil, b.err("open", ErrUnsupported)
}

// OpenAll opens every medium of cfg in order, taking the serial speed from
// cfg unless opt sets one. On failure it closes those already open.
func OpenAll(cfg *config.Config, opt Options) ([]Medium, error) {
	if opt.Baud == 0 {
		opt.Baud = cfg.Baud
	}
	var open []Medium
	for i, m := range cfg.Media {
		med, err := Open(i, m, opt)
		if err != nil {
			CloseAll(open)
			return nil, err
		}
		open = append(open, med)
	}
	return open, nil
}

// CloseAll closes every medium and returns the first error.
func CloseAll(ms []Medium) error {
	var first error
	for _, m := range ms {
		if err := m.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
