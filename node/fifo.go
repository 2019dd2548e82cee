package node

import "bytes"

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
