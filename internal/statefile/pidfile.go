package statefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// pidLen is the FHS lock-file size cluster-glue uses: the pid right-aligned
// in 10 columns, then a newline.
const pidLen = 11

// FormatPid returns a pidfile's content for pid.
func FormatPid(pid int) []byte { return fmt.Appendf(nil, "%*d\n", pidLen-1, pid) }

// ReadPid returns the pid a pidfile names. A missing file is
// fs.ErrNotExist; unparsable content is an error naming the file.
func ReadPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: not a pid: %q", path, b)
	}
	return pid, nil
}

// WritePid writes path atomically (a temporary file renamed over it), as
// heartbeat replaces a stale pidfile.
func WritePid(path string, pid int) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, FormatPid(pid), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Running returns the pid named by the pidfile if that process is alive
// and runs the same executable as exe (heartbeat's IsRunning rule, which
// keeps a recycled pid from passing for the daemon). exe "" skips the
// executable check.
func Running(path, exe string) (int, bool) {
	pid, err := ReadPid(path)
	if err != nil {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return pid, false
	}
	if exe == "" {
		return pid, true
	}
	target, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return pid, false
	}
	return pid, strings.TrimSuffix(target, " (deleted)") == exe
}
