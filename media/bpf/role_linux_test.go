package bpf

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/wire"
)

// With a beacon socket, a receive socket (RoleNoBeacons) and its beacon
// socket (RoleBeacons) that both get every datagram (a broadcast) keep one
// half each, and the filter judges and counts each datagram once.
func TestAttachRole(t *testing.T) {
	f := loadFilter(t)
	ours, theirs := testKeys(t, "ours"), testKeys(t, "theirs")
	id, _ := ours.ClusterID()
	if err := f.SetClusters([]uint32{id}); err != nil {
		t.Fatal(err)
	}
	var m wire.Message
	m.AddString(wire.FieldType, "status")
	m.AddHex("hbd_bseq", 3)
	m.AddString(wire.FieldSrc, "node1")
	m.AddHex(wire.FieldGeneration, 7)
	beacon, err := ours.AppendNative(nil, &m, 0)
	if err != nil {
		t.Fatal(err)
	}
	foreignBeacon, _ := theirs.AppendNative(nil, &m, 0)
	ps := payloads(t, nil, ours, theirs)[:4] // native ours, native theirs, netstring, classic
	all := append([][]byte{beacon, foreignBeacon, []byte("GET / HTTP/1.0\r\n\r\n")}, ps...)

	recv := func(role Role) [][]byte {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		raw, _ := conn.SyscallConn()
		var aerr error
		if err := raw.Control(func(fd uintptr) { aerr = f.AttachRole(int(fd), role) }); err != nil || aerr != nil {
			t.Fatalf("attach: %v %v", err, aerr)
		}
		out, err := net.DialUDP("udp4", nil, conn.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		for _, p := range all {
			if _, err := out.Write(p); err != nil {
				t.Fatal(err)
			}
		}
		var got [][]byte
		buf := make([]byte, 2048)
		for {
			conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, err := conn.Read(buf)
			if err != nil {
				return got
			}
			got = append(got, slices.Clone(buf[:n]))
		}
	}
	if got := recv(RoleBeacons); len(got) != 1 || string(got[0]) != string(beacon) {
		t.Errorf("beacon socket got %d packets, want our beacon", len(got))
	}
	if got := recv(RoleNoBeacons); len(got) != 3 || string(got[0]) != string(ps[0]) {
		t.Errorf("receive socket got %d packets, want 3 (native sequenced, netstring, classic)", len(got))
	}
	c, err := f.Counters()
	if err != nil {
		t.Fatal(err)
	}
	// Once each: 4 passed, 2 foreign clusters, 1 foreign magic.
	if c[ReasonForeignCluster] != 2 || c[ReasonForeignMagic] != 1 || c[ReasonPass] != 4 {
		t.Fatalf("counters %v", c)
	}
}
