package sysio

import (
	"net/netip"
	"testing"
)

// udpSocket opens a socket bound to an ephemeral loopback port and closes it
// with the test.
func udpSocket(t testing.TB, ip string) (int, netip.AddrPort) {
	t.Helper()
	fd, err := UDPSocket(netip.AddrPortFrom(netip.MustParseAddr(ip), 0))
	if err != nil {
		t.Fatalf("UDPSocket(%s): %v", ip, err)
	}
	t.Cleanup(func() { Close(fd) })
	addr, err := SockName(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fd, addr
}

func noAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	if raceEnabled {
		// Still run it: the race detector checks the path, but its own
		// allocations make the count meaningless.
		for range 200 {
			f()
		}
		t.Logf("%s: allocation count not checked under -race", name)
		return
	}
	if n := testing.AllocsPerRun(200, f); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", name, n)
	}
}

func makeBufs(n, size int) [][]byte {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	return bufs
}
