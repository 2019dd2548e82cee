package media

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/internal/sysio"
	"github.com/hbd-ha/hbd/wire"
	"golang.org/x/sys/unix"
)

// serialSpeeds are the baud rates heartbeat accepts.
var serialSpeeds = map[int]uint32{
	9600: unix.B9600, 19200: unix.B19200, 38400: unix.B38400, 57600: unix.B57600,
	115200: unix.B115200, 230400: unix.B230400, 460800: unix.B460800,
}

// serial is a "serial <tty>" medium. Output is queued and written in
// 512-byte chunks paced for the baud rate (see Paced), so that the loop
// never waits for the line.
type serial struct {
	base
	fd   int
	keys *wire.Keyring
	now  func() int64
	r    lineReader
	w    lineWriter
	rbuf []byte // read from the tty, not yet fed to r: rbuf[rpos:rend]
	rpos int
	rend int
}

var errWriteTimeout = errors.New("write timed out (no connection or bad cable?)")

// openSerial opens the tty as serial.so does: O_NOCTTY, raw 8-bit mode
// with CREAD, CLOCAL and CRTSCTS, input INPCK|ISTRIP|IGNCR|BRKINT without
// flow control, VMIN=1 VTIME=1, the configured speed; then it flushes
// both directions and sends a break so that the other end flushes too.
// Unlike serial.so it takes no UUCP lock file on the line.
func openSerial(b base, cfg config.Medium, opt Options) (Medium, error) {
	if opt.Keyring == nil {
		return nil, b.err("open", errors.New("no keyring: serial re-signs every packet"))
	}
	baud := opt.Baud
	if baud == 0 {
		baud = defaultBaud
	}
	speed, ok := serialSpeeds[baud]
	if !ok {
		return nil, b.err("open", fmt.Errorf("baud rate %d not supported", baud))
	}
	fd, err := unix.Open(cfg.Name, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		b.logf(config.LevelCrit, "cannot open %s: %s", cfg.Name, sysio.Strerror(err))
		return nil, b.err("open", os.NewSyscallError("open", err))
	}
	m := &serial{base: b, fd: fd, keys: opt.Keyring, now: opt.Now, rbuf: make([]byte, 4096)}
	if m.now == nil {
		m.now = sysio.Monotonic
	}
	m.w.pause = int64(chunkPause(baud))
	if err := m.setup(speed); err != nil {
		m.Close()
		return nil, m.err("set up tty", err)
	}
	m.logf(config.LevelInfo, "Starting serial heartbeat on tty %s (%d baud)", cfg.Name, baud)
	return m, nil
}

// setup is serial.so's ttysetup, then its flush and break.
func (m *serial) setup(speed uint32) error {
	ti, err := unix.IoctlGetTermios(m.fd, unix.TCGETS)
	if err != nil {
		m.logf(config.LevelCrit, "cannot get tty attributes: %s", sysio.Strerror(err))
		return os.NewSyscallError("tcgetattr", err)
	}
	ti.Iflag &^= unix.IGNBRK | unix.IUCLC | unix.IXANY | unix.IXOFF | unix.IXON | unix.ICRNL | unix.PARMRK
	ti.Iflag |= unix.INPCK | unix.ISTRIP | unix.IGNCR | unix.BRKINT
	ti.Oflag &^= unix.OPOST
	ti.Cflag &^= unix.CBAUD | unix.CSIZE | unix.PARENB
	ti.Cflag |= speed | unix.CS8 | unix.CREAD | unix.CLOCAL | unix.CRTSCTS
	ti.Lflag &^= unix.ICANON | unix.ECHO | unix.ISIG
	ti.Line = 0
	ti.Cc[unix.VMIN] = 1
	ti.Cc[unix.VTIME] = 1
	if err := unix.IoctlSetTermios(m.fd, unix.TCSETSF, ti); err != nil { // tcsetattr(TCSAFLUSH)
		m.logf(config.LevelCrit, "cannot set tty attributes: %s", sysio.Strerror(err))
		return os.NewSyscallError("tcsetattr", err)
	}
	if err := unix.IoctlSetInt(m.fd, unix.TCFLSH, unix.TCIOFLUSH); err != nil {
		return os.NewSyscallError("tcflush", err)
	}
	unix.IoctlSetInt(m.fd, unix.TCSBRK, 0) // tcsendbreak: a pty has no break; its result does not matter
	return nil
}

func (m *serial) FD() int { return m.fd }

// Recv gathers classic messages from the line. A message longer than the
// Batch's buffers is dropped. A hung-up line (end of file) is an error
// wrapping io.EOF; the descriptor then stays readable.
func (m *serial) Recv(b *Batch) (int, error) {
	b.reset()
	for len(b.pkts) < len(b.bufs) {
		if m.rpos == m.rend {
			n, err := sysio.Read(m.fd, m.rbuf)
			switch {
			case errors.Is(err, sysio.ErrWouldBlock):
				return len(b.pkts), nil
			case err != nil:
				return len(b.pkts), m.err("read", err)
			case n == 0:
				return len(b.pkts), m.err("read", io.EOF)
			}
			m.rpos, m.rend = 0, n
		}
		used, msg := m.r.feed(m.rbuf[m.rpos:m.rend])
		m.rpos += used
		if msg == nil {
			continue
		}
		buf := b.bufs[len(b.pkts)]
		if len(msg) > len(buf) {
			continue
		}
		b.add(buf[:copy(buf, msg)], m.index, netip.AddrPort{})
	}
	return len(b.pkts), nil
}

// Send queues the classic form of pkt and writes what is due now.
func (m *serial) Send(pkt []byte) error {
	text, err := m.w.classicText(pkt, m.keys)
	if err != nil {
		return m.err("convert to classic", err)
	}
	now := m.now()
	if err := m.w.queue(text, now); err != nil {
		return m.err("write", err)
	}
	return m.WriteDue(now)
}

func (m *serial) NextWrite() (int64, bool) { return m.w.nextWrite() }

// WriteDue writes the chunks that are due at now. A chunk the tty has not
// taken within heartbeat's 500 ms write alarm makes it flush the tty's
// output and drop everything queued.
func (m *serial) WriteDue(now int64) error {
	for {
		c := m.w.next(now)
		if c == nil {
			return nil
		}
		n, err := sysio.Write(m.fd, c)
		if err != nil && !errors.Is(err, sysio.ErrWouldBlock) {
			m.w.drop()
			return m.err("write", err)
		}
		if m.w.wrote(n, now) {
			unix.IoctlSetInt(m.fd, unix.TCFLSH, unix.TCOFLUSH)
			return m.err("write", errWriteTimeout)
		}
	}
}

func (m *serial) Close() error {
	err := closeFDs(m.fd)
	m.fd = -1
	if err != nil {
		return m.err("close", err)
	}
	return nil
}
