package respawn

import "syscall"

// signalNames is cluster-glue 1.0.12's signal_info table (proctrack.c),
// whose words appear in "killed by signal N [NAME - words]." Where two
// names share a number its first entry wins, as in its lookup; SIGURG's
// name carries a tab there, and so here.
var signalNames = []struct {
	sig   syscall.Signal
	name  string
	words string
}{
	{syscall.SIGHUP, "SIGHUP", "Hangup"},
	{syscall.SIGINT, "SIGINT", "Interrupt"},
	{syscall.SIGQUIT, "SIGQUIT", "Quit"},
	{syscall.SIGILL, "SIGILL", "Illegal instruction"},
	{syscall.SIGTRAP, "SIGTRAP", "Trace"},
	{syscall.SIGABRT, "SIGABRT", "Abort"},
	{syscall.SIGBUS, "SIGBUS", "BUS error"},
	{syscall.SIGFPE, "SIGFPE", "Floating-point exception"},
	{syscall.SIGKILL, "SIGKILL", "Kill, unblockable"},
	{syscall.SIGUSR1, "SIGUSR1", "User-defined signal 1"},
	{syscall.SIGSEGV, "SIGSEGV", "Segmentation violation"},
	{syscall.SIGUSR2, "SIGUSR2", "User-defined signal 2"},
	{syscall.SIGPIPE, "SIGPIPE", "Broken pipe (POSIX)"},
	{syscall.SIGALRM, "SIGALRM", "Alarm clock (POSIX)"},
	{syscall.SIGTERM, "SIGTERM", "Termination (ANSI)"},
	{syscall.SIGSTKFLT, "SIGSTKFLT", "Stack fault"},
	{syscall.SIGCHLD, "SIGCHLD", "Child status has changed"},
	{syscall.SIGCONT, "SIGCONT", "Continue"},
	{syscall.SIGSTOP, "SIGSTOP", "Stop, unblockable"},
	{syscall.SIGTSTP, "SIGTSTP", "Keyboard stop"},
	{syscall.SIGTTIN, "SIGTTIN", "Background read from tty"},
	{syscall.SIGTTOU, "SIGTTOU", "Background write to tty"},
	{syscall.SIGURG, "SIGURG\t", "Urgent condition on socket"},
	{syscall.SIGXCPU, "SIGXCPU", "CPU limit exceeded"},
	{syscall.SIGXFSZ, "SIGXFSZ", "File size limit exceeded"},
	{syscall.SIGVTALRM, "SIGVTALRM", "Virtual alarm clock"},
	{syscall.SIGPROF, "SIGPROF", "Profiling alarm clock"},
	{syscall.SIGWINCH, "SIGWINCH", "Window size change"},
	{syscall.SIGPOLL, "SIGPOLL", "Pollable event occurred"},
	{syscall.SIGPWR, "SIGPWR", "Power failure restart"},
	{syscall.SIGSYS, "SIGSYS", "Bad system call"},
}

// signalWords returns cluster-glue's name and description of signal n.
func signalWords(n int) (name, words string, ok bool) {
	for _, e := range signalNames {
		if int(e.sig) == n {
			return e.name, e.words, true
		}
	}
	return "", "", false
}
