package watchdog

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/internal/prio"
)

func TestTimeoutSeconds(t *testing.T) {
	// ceil((deadtime in ms + 10) / 1000), heartbeat's
	// (deadtime_ms + 10 + 999) / 1000.
	for _, c := range []struct {
		deadtime time.Duration
		want     int
	}{
		{0, 1},
		{990 * time.Millisecond, 1},
		{991 * time.Millisecond, 2},
		{time.Second, 2},
		{2500 * time.Millisecond, 3},
		{30 * time.Second, 31},
		{1500 * time.Microsecond, 1}, // whole milliseconds, as ha.cf has them
		{-time.Second, 1},
	} {
		if got := TimeoutSeconds(c.deadtime); got != c.want {
			t.Errorf("TimeoutSeconds(%v) = %d, want %d", c.deadtime, got, c.want)
		}
	}
}

// TestCharDeviceTimeout opens a character device that is not a watchdog
// (a node with /dev/null's numbers, in the test's own directory): the
// timeout is attempted, its failure logged as heartbeat logs it, and the
// device stays in use.
func TestCharDeviceTimeout(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Stat("/dev/null", &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFCHR || st.Rdev != 1<<8|3 {
		t.Skipf("/dev/null is not the 1:3 character device here (%v)", err)
	}
	dev := filepath.Join(t.TempDir(), "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o600, int(st.Rdev)); err != nil {
		t.Skipf("mknod %s (needs root): %v", dev, err)
	}
	var l logs
	w := Open(dev, Options{Log: l.log, Deadtime: 2500 * time.Millisecond})
	defer w.MagicClose()
	if len(l.get()) == 1 && l.get()[0].level == prio.Error {
		t.Skipf("cannot open a device node under %s (nodev mount?)", dev)
	}
	if !w.Enabled() {
		t.Fatal("a device whose timeout cannot be set must stay in use")
	}
	secs := strconv.Itoa(TimeoutSeconds(2500 * time.Millisecond))
	l.expect(t,
		line{prio.Notice, "Using watchdog device: " + dev},
		line{prio.Debug, "Set watchdog timer to " + secs + " seconds."},
		line{prio.Error, "WDIOC_SETTIMEOUT: Failed to set watchdog timer to " + secs + " seconds.: Inappropriate ioctl for device"})
}

// TestDescriptorFlags reads the open descriptor's flags from the kernel:
// write-only so nothing reads the device, close-on-exec so the resource
// agents and clients the daemon starts do not hold it open, non-blocking
// so the loop never waits on it.
func TestDescriptorFlags(t *testing.T) {
	dev := mkfifo(t)
	openReader(t, dev)
	w := Open(dev, Options{})
	defer w.MagicClose()
	info, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(w.fd))
	if err != nil {
		t.Fatal(err)
	}
	var flags uint64
	for l := range strings.Lines(string(info)) {
		if v, ok := strings.CutPrefix(l, "flags:"); ok {
			if flags, err = strconv.ParseUint(strings.TrimSpace(v), 8, 64); err != nil {
				t.Fatalf("fdinfo flags %q: %v", v, err)
			}
		}
	}
	if flags&syscall.O_ACCMODE != syscall.O_WRONLY {
		t.Errorf("flags %#o: not write-only", flags)
	}
	for _, f := range []struct {
		bit  uint64
		name string
	}{{syscall.O_CLOEXEC, "O_CLOEXEC"}, {syscall.O_NONBLOCK, "O_NONBLOCK"}} {
		if flags&f.bit == 0 {
			t.Errorf("flags %#o: no %s", flags, f.name)
		}
	}
}

func TestNilIsDisabled(t *testing.T) {
	var w *Watchdog
	w.Tickle()
	w.MagicClose()
	if w.Enabled() {
		t.Error("nil Watchdog is enabled")
	}
}
