package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// ErrNotSupported is returned (wrapped) when the kernel or the process's
// privileges do not allow the filter: no BPF syscall, no CAP_BPF, a
// verifier that refuses the program. hbd then filters in user space.
var ErrNotSupported = errors.New("eBPF socket filter not supported")

// Map sizes: the accepted clusters are the authkeys slots' ids (at most
// 16); the deny map is an LRU, so a forger cycling source addresses evicts
// old entries instead of exhausting it.
const (
	maxClusters = 16
	maxDenied   = 4096
)

// Filter is a loaded socket filter and its maps. Attach it to every UDP
// media socket; it is safe to update from one goroutine while the kernel
// runs it.
type Filter struct {
	prog     *ebpf.Program
	clusters *ebpf.Map // key: cluster id as on the wire (4 bytes), value: 1 byte
	deny     *ebpf.Map // key: 16-byte address, value: expiry (ktime ns)
	counters *ebpf.Map // per-CPU u64 by Reason

	lastCounters Counters // tests: the counters at the previous read
}

// Load creates the maps and loads the program. The error wraps
// ErrNotSupported when the kernel or privileges are the cause.
func Load() (*Filter, error) {
	f := &Filter{}
	var err error
	if f.clusters, err = ebpf.NewMap(&ebpf.MapSpec{Name: "hbd_clusters", Type: ebpf.Hash, KeySize: 4, ValueSize: 1, MaxEntries: maxClusters}); err != nil {
		return nil, notSupported("cluster map", err)
	}
	if f.deny, err = ebpf.NewMap(&ebpf.MapSpec{Name: "hbd_deny", Type: ebpf.LRUHash, KeySize: 16, ValueSize: 8, MaxEntries: maxDenied}); err != nil {
		f.Close()
		return nil, notSupported("deny map", err)
	}
	if f.counters, err = ebpf.NewMap(&ebpf.MapSpec{Name: "hbd_drops", Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: uint32(NumReasons)}); err != nil {
		f.Close()
		return nil, notSupported("counter map", err)
	}
	f.prog, err = ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "hbd_filter",
		Type:         ebpf.SocketFilter,
		License:      "GPL",
		Instructions: program(f.clusters, f.deny, f.counters),
	})
	if err != nil {
		f.Close()
		return nil, notSupported("program", err)
	}
	return f, nil
}

func notSupported(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrNotSupported, what, err)
}

// Attach puts the filter on a socket (SO_ATTACH_BPF).
func (f *Filter) Attach(fd int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ATTACH_BPF, f.prog.FD()); err != nil {
		return fmt.Errorf("bpf: attach filter to socket: %w", err)
	}
	return nil
}

// SetClusters makes ids the accepted cluster ids, replacing the others.
func (f *Filter) SetClusters(ids []uint32) error {
	keep := make(map[[4]byte]bool, len(ids))
	for _, id := range ids {
		var k [4]byte
		binary.BigEndian.PutUint32(k[:], id)
		keep[k] = true
		if err := f.clusters.Put(k, uint8(1)); err != nil {
			return fmt.Errorf("bpf: accept cluster %#x: %w", id, err)
		}
	}
	var k [4]byte
	var v uint8
	var stale [][4]byte
	it := f.clusters.Iterate()
	for it.Next(&k, &v) {
		if !keep[k] {
			stale = append(stale, k)
		}
	}
	for _, k := range stale {
		_ = f.clusters.Delete(k)
	}
	return it.Err()
}

// Deny drops heartbeat-format packets from a until the monotonic time
// until (nanoseconds, CLOCK_MONOTONIC).
func (f *Filter) Deny(a netip.Addr, until int64) error {
	if err := f.deny.Put(addrKey(a), uint64(until)); err != nil {
		return fmt.Errorf("bpf: deny %s: %w", a, err)
	}
	return nil
}

// Undeny removes a from the deny map.
func (f *Filter) Undeny(a netip.Addr) {
	_ = f.deny.Delete(addrKey(a))
}

func addrKey(a netip.Addr) [16]byte {
	if a.Is4() {
		a = netip.AddrFrom16(a.As16())
	}
	return a.As16()
}

// Counters sums the per-CPU counters.
func (f *Filter) Counters() (Counters, error) {
	var c Counters
	var per []uint64
	for r := range NumReasons {
		if err := f.counters.Lookup(uint32(r), &per); err != nil {
			return c, fmt.Errorf("bpf: read counters: %w", err)
		}
		for _, v := range per {
			c[r] += v
		}
	}
	return c, nil
}

// Close unloads the program and its maps; sockets it is attached to keep
// their own reference until they close.
func (f *Filter) Close() {
	if f.prog != nil {
		_ = f.prog.Close()
	}
	for _, m := range []*ebpf.Map{f.clusters, f.deny, f.counters} {
		if m != nil {
			_ = m.Close()
		}
	}
}
