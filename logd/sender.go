package logd

import (
	"net"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
	"github.com/hbd-ha/hbd/ipc"
)

// Sender sends records to a running logd, as cl_log does with use_logd.
// It blocks for at most Timeout per record, so it belongs on a goroutine
// that may wait (a logger's writer), never on the event loop. It is not
// safe for concurrent use.
type Sender struct {
	Socket   string        // DefaultSocket if empty
	Timeout  time.Duration // per connect and per write; 0 is 500 ms
	Entity   string        // "heartbeat", "hbd"
	PID      int
	Facility int // syslog facility code (daemon is 3<<3)

	conn *net.UnixConn
	rec  Record
	buf  []byte
}

// Forward sends one line; on any error the connection is dropped and the
// caller writes the line itself. It implements hblog.Forwarder.
func (s *Sender) Forward(t time.Time, l prio.Level, msg string) error {
	if s.conn == nil {
		if err := s.dial(); err != nil {
			return err
		}
	}
	s.rec = Record{Facility: int32(s.Facility), Priority: int32(l), UsePriStr: true, PID: int32(s.PID),
		Entity: append(s.rec.Entity[:0], s.Entity...), Time: t.Unix(), Text: append(s.rec.Text[:0], msg...)}
	if len(s.rec.Text) > maxText {
		s.rec.Text = s.rec.Text[:maxText]
	}
	s.buf, _ = ipc.BeginFrame(s.buf[:0])
	s.buf = AppendRecord(s.buf, &s.rec)
	var err error
	if s.buf, err = ipc.EndFrame(s.buf, 0, 1<<20); err != nil {
		return err
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.timeout()))
	if _, err := s.conn.Write(s.buf); err != nil {
		s.Close()
		return err
	}
	return nil
}

// Connected reports whether the last record went to the logd.
func (s *Sender) Connected() bool { return s.conn != nil }

// Close drops the connection.
func (s *Sender) Close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

func (s *Sender) timeout() time.Duration {
	if s.Timeout <= 0 {
		return 500 * time.Millisecond
	}
	return s.Timeout
}

func (s *Sender) dial() error {
	path := s.Socket
	if path == "" {
		path = DefaultSocket
	}
	c, err := net.DialTimeout("unix", path, s.timeout())
	if err != nil {
		return err
	}
	s.conn = c.(*net.UnixConn)
	return nil
}
