package bpf

import (
	"net"
	"testing"
	"time"
)

// On a real UDP socket, what the filter drops never reaches recv, and what
// it passes arrives whole.
func TestAttachedSocket(t *testing.T) {
	f := loadFilter(t)
	ours, theirs := testKeys(t, "ours"), testKeys(t, "theirs")
	id, _ := ours.ClusterID()
	if err := f.SetClusters([]uint32{id}); err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var aerr error
	if err := raw.Control(func(fd uintptr) { aerr = f.Attach(int(fd)) }); err != nil || aerr != nil {
		t.Fatalf("attach: %v %v", err, aerr)
	}
	out, err := net.DialUDP("udp4", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ps := payloads(t, nil, ours, theirs)[:4] // native ours, native theirs, netstring, classic
	want := map[string]bool{string(ps[0]): true, string(ps[2]): true, string(ps[3]): true}
	for _, p := range append(ps, []byte("GET / HTTP/1.0\r\n\r\n")) {
		if _, err := out.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 2048)
	got := 0
	for {
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := conn.Read(buf)
		if err != nil {
			break
		}
		if !want[string(buf[:n])] {
			t.Errorf("received a packet the filter should drop: %q", buf[:min(n, 16)])
		}
		got++
	}
	if got != len(want) {
		t.Fatalf("received %d packets, want %d", got, len(want))
	}
	c, err := f.Counters()
	if err != nil {
		t.Fatal(err)
	}
	if c[ReasonForeignCluster] != 1 || c[ReasonForeignMagic] != 1 || c[ReasonPass] != 3 {
		t.Fatalf("counters %v", c)
	}
}
