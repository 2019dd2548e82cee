package node

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hbd-ha/hbd/internal/hblog"
	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/loop"
)

// fifoFramer cuts heartbeat's FIFO stream into messages. Scripts write
// classic text (">>>" line, "name=value" lines, "<<<" line); the netstring
// form ("###" … "%%%") is accepted too. Lines before a start marker are
// skipped, as heartbeat skips them.
type fifoFramer struct {
	buf []byte
}

// maxFIFOMessage bounds a message written into the FIFO: heartbeat's
// MAXMSG. A writer that never closes its message cannot make hbd grow
// without bound.
const maxFIFOMessage = 256 << 10

// feed adds bytes read from the FIFO. It calls msg for each complete
// message (a view valid during the call) and bad for each discarded piece
// of input, with a reason.
func (f *fifoFramer) feed(b []byte, msg func([]byte), bad func(reason string)) {
	f.buf = append(f.buf, b...)
	for {
		start, end, ok := nextMessage(f.buf)
		if !ok {
			// Keep only from the start of a message in progress.
			if start > 0 {
				f.buf = append(f.buf[:0], f.buf[start:]...)
			}
			if len(f.buf) > maxFIFOMessage {
				bad("message larger than 256 KiB; discarded")
				f.buf = f.buf[:0]
			}
			return
		}
		msg(f.buf[start:end])
		f.buf = append(f.buf[:0], f.buf[end:]...)
	}
}

// nextMessage finds the first complete message in b. When none is
// complete, start is where one begins (or len of the complete lines seen
// before any start marker), and ok is false.
func nextMessage(b []byte) (start, end int, ok bool) {
	i := 0
	for i < len(b) {
		nl := bytes.IndexByte(b[i:], '\n')
		if nl < 0 {
			return i, 0, false
		}
		line := b[i : i+nl]
		var endMark string
		switch {
		case bytes.HasPrefix(line, []byte(">>>")):
			endMark = "\n<<<\n"
		case bytes.HasPrefix(line, []byte("###")):
			endMark = "\n%%%\n"
		default:
			i += nl + 1
			continue
		}
		j := bytes.Index(b[i+nl:], []byte(endMark))
		if j < 0 {
			return i, 0, false
		}
		return i, i + nl + j + len(endMark), true
	}
	return i, 0, false
}

// fifoFile is the FIFO's raw descriptor. It is not an *os.File on
// purpose: os would hand a non-blocking descriptor to the runtime's poller,
// and Fd() would then make it blocking again, so that a read after a full
// buffer parked the loop's goroutine until the next write (a 4096-byte
// write stopped the node's heartbeats).
type fifoFile struct{ fd int }

// Fd returns the descriptor, for the loop.
func (f *fifoFile) Fd() uintptr { return uintptr(f.fd) }

// Close closes the descriptor.
func (f *fifoFile) Close() error {
	if f.fd < 0 {
		return nil
	}
	err := sysio.Close(f.fd)
	f.fd = -1
	return err
}

// fifoReadsPerEvent bounds what one loop turn reads from the FIFO (16
// buffers of 4 KiB): the descriptor is level-triggered, so a writer that
// keeps writing is read on the next turns, between heartbeats.
const fifoReadsPerEvent = 16

// openFIFO creates heartbeat's FIFO (mode 0600; a non-FIFO in its place is
// replaced) and opens it read-write, so that it never reports end of file
// when a writer closes.
//
// FIFO messages are not authenticated: whoever can write the FIFO speaks
// for this node to the cluster (standby, takeover, resource messages). So
// an existing FIFO is used only if it belongs to root, or, for a daemon
// not running as root (tests, the demo), to the daemon's own user, and
// is not writable by group or others, as heartbeat's mkfifo(0600) leaves
// it. Any other is refused: the node does not start, and the error names
// the path, owner and mode. It is not replaced silently, since a FIFO that
// someone else made there means the state directory is not as heartbeat
// keeps it, which an administrator must look at.
func (n *Node) openFIFO() error {
	path := filepath.Join(n.opt.StateDir, "fifo")
	if st, err := os.Lstat(path); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		n.log.Logf(hblog.Info, "Creating FIFO %s.", path)
		os.Remove(path)
		if err := os.MkdirAll(n.opt.StateDir, 0o755); err != nil {
			return err
		}
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			return fmt.Errorf("create FIFO %s: %w", path, err)
		}
	}
	fd, own, err := sysio.OpenFIFO(path)
	if err != nil {
		return fmt.Errorf("open FIFO: %w", err)
	}
	if err := fifoTrusted(path, own, uint32(os.Geteuid())); err != nil {
		sysio.Close(fd)
		n.log.Logf(hblog.Error, "%v", err)
		return err
	}
	n.fifo = &fifoFile{fd: fd}
	return nil
}

// fifoTrusted says why the FIFO at path, as fstat describes it, may not
// carry messages for a daemon running as euid (nil if it may).
func fifoTrusted(path string, own sysio.FileOwner, euid uint32) error {
	switch {
	case !own.IsFIFO:
		return fmt.Errorf("FIFO %s is not a FIFO: refusing it", path)
	case own.UID != 0 && own.UID != euid:
		return fmt.Errorf("FIFO %s is owned by uid %d (mode %04o), not by root or uid %d: refusing it, since anyone who can write it speaks for this node; remove it and hbd creates it", path, own.UID, own.Mode, euid)
	case own.Mode&0o022 != 0:
		return fmt.Errorf("FIFO %s (owner uid %d) has mode %04o, writable by group or others: refusing it, since anyone who can write it speaks for this node; chmod 0600 it or remove it", path, own.UID, own.Mode)
	}
	return nil
}

// readFIFO takes the messages scripts wrote into the FIFO and sends them
// to the cluster; a malformed one is logged and changes nothing. It reads
// until the FIFO is empty (EAGAIN) or fifoReadsPerEvent buffers were
// read, never waiting for a writer.
func (n *Node) readFIFO(loop.Events) {
	for range fifoReadsPerEvent {
		k, err := sysio.Read(n.fifo.fd, n.fifoBuf)
		if k > 0 {
			n.framer.feed(n.fifoBuf[:k], n.fifoMessage, func(reason string) {
				n.log.Logf(hblog.Error, "FIFO: %s", reason)
			})
		}
		if err != nil || k == 0 {
			if err != nil && !errors.Is(err, sysio.ErrWouldBlock) {
				n.log.Logf(hblog.Error, "FIFO: %v", err)
			}
			break
		}
	}
	n.flush()
}

func (n *Node) fifoMessage(b []byte) {
	if err := n.master.SendText(n.now(), b); err != nil {
		n.log.Logf(hblog.Error, "FIFO: bad message ignored: %v", err)
	}
}
