package netnstest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// Run calls f on an OS thread switched into the host's network namespace
// (setns) and returns when f does. Sockets f opens belong to the host and keep
// working from any goroutine afterwards. Goroutines f starts do not run in
// the namespace. f runs on another goroutine, so it must not call
// t.FailNow (t.Fatal) or t.SkipNow; use t.Error, or return results. Call
// Run from the test's goroutine: it fails the test if the namespace cannot
// be entered.
func (h *Host) Run(f func()) {
	h.net.t.Helper()
	if err := inNamespace(h.ns, func() error { f(); return nil }); err != nil {
		h.net.t.Fatalf("netnstest: %v", err)
	}
}

// inNamespace runs f on an OS thread that has joined namespace ns, and
// puts the thread back into its own namespace afterwards. If it cannot go
// back, the thread stays locked and ends with its goroutine, so that no
// other goroutine is ever scheduled in the wrong namespace.
func inNamespace(ns string, f func() error) error {
	target, err := os.Open(filepath.Join(nsDir, ns))
	if err != nil {
		return fmt.Errorf("enter namespace %s: %w", ns, err)
	}
	defer target.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- fmt.Errorf("enter namespace %s: %w", ns, err)
			return
		}
		defer home.Close()
		if err := setns(int(target.Fd()), syscall.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter namespace %s: %w", ns, err)
			return
		}
		// The result is sent only once the thread is home again: the
		// caller may tear the namespace down next, and a thread still in
		// it (the process's main thread, say) would be counted as a
		// process left running there.
		ok := false
		defer func() {
			if setns(int(home.Fd()), syscall.CLONE_NEWNET) == nil {
				runtime.UnlockOSThread()
			}
			if !ok { // f called runtime.Goexit
				err = fmt.Errorf("function run in %s did not return", ns)
			}
			errc <- err
		}()
		err = f()
		ok = true
	}()
	return <-errc
}

func setns(fd, nstype int) error {
	_, _, e := syscall.RawSyscall(sysSetns, uintptr(fd), uintptr(nstype), 0)
	if e != 0 {
		return os.NewSyscallError("setns", e)
	}
	return nil
}
