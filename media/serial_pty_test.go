package media

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/wire"
)

// openPTY returns the master side of a new pseudo-terminal, non-blocking,
// and the path of its slave side, which stands in for a serial port.
func openPTY(t *testing.T) (master int, slave string) {
	t.Helper()
	fd, err := syscall.Open("/dev/ptmx", syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	var unlock int32
	if err := ioctl(fd, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Fatal("unlockpt:", err)
	}
	var n uint32
	if err := ioctl(fd, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Fatal("ptsname:", err)
	}
	return fd, fmt.Sprintf("/dev/pts/%d", n)
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// fakeClock is a settable Options.Now.
type fakeClock struct{ now int64 }

func (c *fakeClock) Now() int64 { return c.now }

// serialPair opens a serial medium on a pty's slave side, as heartbeat
// opens a serial port, and a second one on its master side, standing in
// for the node at the other end of the cable.
func serialPair(t *testing.T, clock *fakeClock) (*serial, *serial) {
	t.Helper()
	master, slave := openPTY(t)
	keys := testKeyring(t)
	med := open(t, nil, 3, config.Medium{Type: "serial", Name: slave}, Options{Keyring: keys, Baud: 19200, Now: clock.Now})
	near := med.(*serial)
	far := &serial{base: base{index: 7, typ: "serial", name: "ptmx"}, fd: master, keys: keys, now: clock.Now, rbuf: make([]byte, 4096)}
	far.w.pause = int64(chunkPause(19200))
	return near, far
}

func TestSerialTermios(t *testing.T) {
	near, _ := serialPair(t, &fakeClock{})
	var ti syscall.Termios
	if err := ioctl(near.fd, syscall.TCGETS, unsafe.Pointer(&ti)); err != nil {
		t.Fatal(err)
	}
	const crtscts, cbaud = 0x80000000, 0x100f // CRTSCTS, CBAUD: syscall does not name them
	for _, c := range []struct {
		name      string
		got, want uint32
	}{
		{"iflag INPCK|ISTRIP|IGNCR|BRKINT", ti.Iflag & (syscall.INPCK | syscall.ISTRIP | syscall.IGNCR | syscall.BRKINT), syscall.INPCK | syscall.ISTRIP | syscall.IGNCR | syscall.BRKINT},
		{"iflag IGNBRK|IXANY|IXOFF|IXON|ICRNL|PARMRK", ti.Iflag & (syscall.IGNBRK | syscall.IXANY | syscall.IXOFF | syscall.IXON | syscall.ICRNL | syscall.PARMRK), 0},
		{"oflag OPOST", ti.Oflag & syscall.OPOST, 0},
		{"cflag CSIZE", ti.Cflag & syscall.CSIZE, syscall.CS8},
		{"cflag PARENB", ti.Cflag & syscall.PARENB, 0},
		{"cflag CREAD|CLOCAL|CRTSCTS", ti.Cflag & (syscall.CREAD | syscall.CLOCAL | crtscts), syscall.CREAD | syscall.CLOCAL | crtscts},
		{"cflag speed", ti.Cflag & cbaud, syscall.B19200},
		{"lflag ICANON|ECHO|ISIG", ti.Lflag & (syscall.ICANON | syscall.ECHO | syscall.ISIG), 0},
		{"VMIN", uint32(ti.Cc[syscall.VMIN]), 1},
		{"VTIME", uint32(ti.Cc[syscall.VTIME]), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	want := "info: glib: Starting serial heartbeat on tty " + near.name + " (19200 baud)"
	if got := lines(near.Started()); len(got) != 1 || got[0] != want {
		t.Errorf("Started() = %q, want %q", got, want)
	}
}

func TestSerialBothWays(t *testing.T) {
	clock := &fakeClock{}
	near, far := serialPair(t, clock)
	keys := testKeyring(t)
	for i, pair := range [][2]*serial{{near, far}, {far, near}} {
		pkt := statusPacket(t, keys, fmt.Sprint("node", i), uint64(i+1), 99)
		if err := pair[0].Send(pkt); err != nil {
			t.Fatal(err)
		}
		got := collect(t, pair[1], 1, 0, timeoutShort)
		if len(got) != 1 {
			t.Fatalf("direction %d: got %d messages", i, len(got))
		}
		if !strings.HasPrefix(string(got[0].data), ">>>\n") || !strings.HasSuffix(string(got[0].data), "<<<\n") {
			t.Errorf("not classic text: %q", got[0].data)
		}
		p := decoded(t, keys, got[0].data)
		if p.Format != wire.Classic || field(p, "src") != fmt.Sprint("node", i) || got[0].medium != pair[1].index || got[0].from != "" {
			t.Errorf("direction %d: format %v src %s medium %d from %q", i, p.Format, field(p, "src"), got[0].medium, got[0].from)
		}
	}
	// The far end's noise, CRLF line ends and parity bits do not matter.
	noisy := "line noise\r\n\xc1\xc2\xc3\r\n" + strings.ReplaceAll(string(mustClassic(t, keys)), "\n", "\r\n")
	if _, err := syscall.Write(far.fd, []byte(noisy)); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, near, 1, 0, timeoutShort); len(got) != 1 {
		t.Errorf("noisy line: got %d messages", len(got))
	} else {
		decoded(t, keys, got[0].data)
	}
}

func mustClassic(t *testing.T, keys *wire.Keyring) []byte {
	var p wire.Packet
	if err := p.Decode(statusPacket(t, keys, "noisy", 5, 5)); err != nil {
		t.Fatal(err)
	}
	b, err := keys.AppendClassicPacket(nil, &p.Msg)
	if err != nil {
		t.Fatal(err)
	}
	return b[:len(b)-1]
}

// A message longer than 512 bytes goes out in paced chunks; the loop
// drives them with NextWrite and WriteDue.
func TestSerialPacing(t *testing.T) {
	clock := &fakeClock{now: 1000}
	near, far := serialPair(t, clock)
	keys := testKeyring(t)
	var m wire.Message
	m.AddString(wire.FieldType, "big")
	m.AddString("filler", strings.Repeat("f", 1200))
	m.AddControl(&wire.Control{Src: []byte(testNode), Seq: 1, Gen: 1, TS: 1, TTL: 3})
	pkt, err := keys.AppendPacket(nil, &m, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := near.Send(pkt); err != nil {
		t.Fatal(err)
	}
	var writes []int64
	for {
		due, ok := near.NextWrite()
		if !ok {
			break
		}
		if got := collect(t, far, 0, 0, 0); len(got) != 0 {
			t.Fatal("message complete before its last chunk was written")
		}
		writes = append(writes, due-1000)
		clock.now = due
		if err := near.WriteDue(due); err != nil {
			t.Fatal(err)
		}
	}
	pause := int64(chunkPause(19200))
	if len(writes) != 2 || writes[0] != pause || writes[1] != 2*pause {
		t.Errorf("chunks after the first were due at %v, want %v and %v", writes, pause, 2*pause)
	}
	got := collect(t, far, 1, 0, timeoutShort)
	if len(got) != 1 || field(decoded(t, keys, got[0].data), "filler") != strings.Repeat("f", 1200) {
		t.Errorf("got %d messages", len(got))
	}
}

func TestSerialHangup(t *testing.T) {
	master, slave := openPTY(t)
	med := open(t, nil, 0, config.Medium{Type: "serial", Name: slave}, Options{Keyring: testKeyring(t)})
	syscall.Close(master) // the other end goes away
	_, err := med.Recv(NewBatch(1, 1024))
	if err == nil || !strings.HasPrefix(err.Error(), "serial "+slave+": read: ") {
		t.Errorf("Recv after hang-up: %v", err)
	}
}

func TestSerialOpenErrors(t *testing.T) {
	keys := testKeyring(t)
	if _, err := Open(0, config.Medium{Type: "serial", Name: "/nonexistent/tty"}, Options{Keyring: keys}); err == nil ||
		!strings.HasPrefix(err.Error(), "serial /nonexistent/tty: open: ") {
		t.Errorf("missing tty: %v", err)
	}
	_, slave := openPTY(t)
	if _, err := Open(0, config.Medium{Type: "serial", Name: slave}, Options{Keyring: keys, Baud: 1234}); err == nil {
		t.Error("baud 1234 accepted")
	}
	if _, err := Open(0, config.Medium{Type: "serial", Name: slave}, Options{}); err == nil {
		t.Error("opened without a keyring")
	}
	if f, err := os.Open(os.DevNull); err == nil { // not a tty: tcgetattr fails
		f.Close()
		if _, err := Open(0, config.Medium{Type: "serial", Name: os.DevNull}, Options{Keyring: keys}); err == nil {
			t.Error("opened /dev/null as a tty")
		}
	}
}
