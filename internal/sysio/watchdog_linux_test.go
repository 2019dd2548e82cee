package sysio

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenWriteOnlyFIFONoReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// Non-blocking: no reader is an error now, not a wait.
	if fd, err := OpenWriteOnly(path); !errors.Is(err, syscall.ENXIO) {
		Close(fd)
		t.Fatalf("OpenWriteOnly(FIFO without reader) = %d, %v; want ENXIO", fd, err)
	}
}

func TestIsCharDeviceAndTimeout(t *testing.T) {
	r, w, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(r)
	defer Close(w)
	if chr, err := IsCharDevice(w); err != nil || chr {
		t.Errorf("IsCharDevice(pipe) = %v, %v; want false", chr, err)
	}
	// Not a watchdog: the driver refuses the request.
	if _, err := WatchdogSetTimeout(w, 5); !errors.Is(err, syscall.ENOTTY) {
		t.Errorf("WatchdogSetTimeout(pipe) = %v, want ENOTTY", err)
	}

	null, err := OpenWriteOnly("/dev/null") // a character device, not a watchdog
	if err != nil {
		t.Skip(err)
	}
	defer Close(null)
	if chr, err := IsCharDevice(null); err != nil || !chr {
		t.Errorf("IsCharDevice(/dev/null) = %v, %v; want true", chr, err)
	}
	if _, err := IsCharDevice(-1); !errors.Is(err, syscall.EBADF) {
		t.Errorf("IsCharDevice(-1) = %v, want EBADF", err)
	}
}
