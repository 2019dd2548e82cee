package sysio

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Strerror gives glibc's words, which heartbeat's log lines carry.
func TestStrerror(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{unix.EPIPE, "Broken pipe"},
		{os.NewSyscallError("write", unix.ENOENT), "No such file or directory"},
		{fmt.Errorf("open: %w", unix.EADDRINUSE), "Address already in use"},
		{errors.New("plain words"), "plain words"},
	} {
		if got := Strerror(tc.err); got != tc.want {
			t.Errorf("Strerror(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
