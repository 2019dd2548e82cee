package node

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hbd-ha/hbd/internal/hblog"
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

// openFIFO creates heartbeat's FIFO (mode 0600; a non-FIFO in its place is
// replaced) and opens it read-write, so that it never reports end of file
// when a writer closes.
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
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("open FIFO: %w", err)
	}
	n.fifo = f
	return nil
}

// readFIFO takes the messages scripts wrote into the FIFO and sends them
// to the cluster; a malformed one is logged and changes nothing.
func (n *Node) readFIFO(loop.Events) {
	for {
		k, err := n.fifo.Read(n.fifoBuf)
		if k > 0 {
			n.framer.feed(n.fifoBuf[:k], n.fifoMessage, func(reason string) {
				n.log.Logf(hblog.Error, "FIFO: %s", reason)
			})
		}
		if err != nil || k < len(n.fifoBuf) {
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
