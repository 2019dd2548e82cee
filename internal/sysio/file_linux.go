package sysio

import (
	"os"

	"golang.org/x/sys/unix"
)

// FileOwner is who owns a file and its permission bits, as fstat says.
type FileOwner struct {
	UID, GID uint32
	Mode     uint32 // permission bits (0o7777) only
	IsFIFO   bool
}

// OpenFIFO opens the named pipe at path read-write (so that it never
// reports end of file when a writer closes), non-blocking and
// close-on-exec, without following a symbolic link, and returns the
// descriptor with its owner and mode as the opened file has them: a
// check of the result cannot race with a rename of the path. The
// descriptor is never seen by the Go runtime's poller; read it with Read.
func OpenFIFO(path string) (int, FileOwner, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, FileOwner{}, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, FileOwner{}, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	return fd, FileOwner{UID: st.Uid, GID: st.Gid, Mode: st.Mode & 0o7777, IsFIFO: st.Mode&unix.S_IFMT == unix.S_IFIFO}, nil
}
