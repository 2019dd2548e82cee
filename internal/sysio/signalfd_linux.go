package sysio

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sigset builds a kernel signal set; only the classic and real-time signals
// 1..64 exist on Linux.
func sigset(sigs []syscall.Signal) (unix.Sigset_t, error) {
	var set unix.Sigset_t
	const wordBits = int(unsafe.Sizeof(set.Val[0]) * 8)
	for _, s := range sigs {
		if s < 1 || s > 64 {
			return set, fmt.Errorf("sysio: signal %d out of range", int(s))
		}
		i := int(s) - 1
		set.Val[i/wordBits] |= 1 << (i % wordBits)
	}
	return set, nil
}

// BlockSignals adds sigs to the calling thread's signal mask. Lock the
// goroutine to its thread (runtime.LockOSThread) first, or the mask ends up
// on whichever thread happened to run it.
func BlockSignals(sigs ...syscall.Signal) error {
	return sigmask(unix.SIG_BLOCK, sigs, "pthread_sigmask block")
}

// UnblockSignals removes sigs from the calling thread's signal mask.
func UnblockSignals(sigs ...syscall.Signal) error {
	return sigmask(unix.SIG_UNBLOCK, sigs, "pthread_sigmask unblock")
}

func sigmask(how int, sigs []syscall.Signal, call string) error {
	set, err := sigset(sigs)
	if err != nil {
		return err
	}
	if err := unix.PthreadSigmask(how, &set, nil); err != nil {
		return os.NewSyscallError(call, err)
	}
	return nil
}

// Signalfd blocks sigs in the calling thread and returns a non-blocking,
// close-on-exec signalfd that reads them.
//
// A signalfd only sees a signal that stays pending, that is one blocked in
// every thread that could take it. Under the Go runtime that holds for
// signals sent to this thread (tgkill) but not for process-directed
// SIGHUP, SIGINT, SIGTERM or SIGCHLD, which the runtime unblocks in every
// thread it creates; use os/signal for those.
func Signalfd(sigs ...syscall.Signal) (int, error) {
	set, err := sigset(sigs)
	if err != nil {
		return -1, err
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		return -1, os.NewSyscallError("pthread_sigmask block", err)
	}
	fd, err := unix.Signalfd(-1, &set, unix.SFD_NONBLOCK|unix.SFD_CLOEXEC)
	if err != nil {
		return -1, os.NewSyscallError("signalfd4", err)
	}
	return fd, nil
}

// ReadSignal reads one pending signal from a signalfd. It returns ok=false
// when none is pending.
func ReadSignal(fd int) (sig syscall.Signal, ok bool, err error) {
	var si unix.SignalfdSiginfo
	for {
		_, _, e := unix.Syscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&si)), unsafe.Sizeof(si))
		switch e {
		case 0:
			return syscall.Signal(si.Signo), true, nil
		case unix.EAGAIN:
			return 0, false, nil
		case unix.EINTR:
			continue
		}
		return 0, false, errnoErr("signalfd read", e)
	}
}
