package netnstest

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// removeStale deletes namespaces left behind by test binaries that died
// before their cleanups ran (a timeout, a SIGKILL). Names carry the pid of
// the process that made them; a live process's namespaces are never
// touched.
func removeStale(t testing.TB) {
	t.Helper()
	entries, err := os.ReadDir(nsDir)
	if err != nil {
		return // no namespaces at all yet
	}
	for _, e := range entries {
		pid, ok := ownerPID(e.Name())
		if !ok || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			continue
		}
		if _, err := run(nil, "ip", "netns", "del", e.Name()); err != nil {
			t.Logf("netnstest: removing stale namespace: %v", err)
		}
	}
}

// ownerPID reads the pid out of a name made by New: "hbdt-<pid>-<n>-<role>".
func ownerPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, namePrefix)
	if !ok {
		return 0, false
	}
	pidStr, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(pidStr)
	return pid, err == nil && pid > 0
}
