package sysio

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestUnixListenAcceptPeerCred(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sock")
	lfd, err := UnixListen(path, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(lfd)
	if _, err := Accept(lfd); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("Accept with nobody waiting: %v, want ErrWouldBlock", err)
	}
	noAllocs(t, "Accept would block", func() { Accept(lfd) })

	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fd, err := Accept(lfd)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(fd)
	cred, err := PeerCred(fd)
	if err != nil {
		t.Fatal(err)
	}
	if int(cred.PID) != os.Getpid() || int(cred.UID) != os.Geteuid() || int(cred.GID) != os.Getegid() {
		t.Errorf("PeerCred = %+v, want pid %d uid %d gid %d", cred, os.Getpid(), os.Geteuid(), os.Getegid())
	}

	if n, err := Send(fd, []byte("hello")); n != 5 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	buf := make([]byte, 8)
	if n, err := c.Read(buf); n != 5 || err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
	c.Close()
	// The peer is gone: EPIPE (or ECONNRESET), never a SIGPIPE that kills us.
	var sendErr error
	for range 4 {
		if _, sendErr = Send(fd, []byte("x")); sendErr != nil {
			break
		}
	}
	if !errors.Is(sendErr, syscall.EPIPE) && !errors.Is(sendErr, syscall.ECONNRESET) {
		t.Errorf("Send to a closed peer: %v, want EPIPE", sendErr)
	}
}

func TestSendWouldBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sock")
	lfd, err := UnixListen(path, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(lfd)
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fd, err := Accept(lfd)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(fd)
	chunk := make([]byte, 64<<10)
	for i := 0; ; i++ {
		if _, err := Send(fd, chunk); err != nil {
			if !errors.Is(err, ErrWouldBlock) {
				t.Fatalf("Send: %v, want ErrWouldBlock once full", err)
			}
			break
		}
		if i > 1000 {
			t.Fatal("socket never filled")
		}
	}
	noAllocs(t, "Send would block", func() { Send(fd, chunk) })
}

func TestProcessExists(t *testing.T) {
	if !ProcessExists(os.Getpid()) {
		t.Error("ProcessExists(self) = false")
	}
	if ProcessExists(0) || ProcessExists(-1) {
		t.Error("ProcessExists of a non-pid = true")
	}
	// pid_max is at most 2^22: this one never exists.
	if ProcessExists(1 << 23) {
		t.Error("ProcessExists(1<<23) = true")
	}
}
