package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"
	"golang.org/x/sys/unix"
)

// ErrNotSupported is returned (wrapped) when the kernel or the process's
// privileges do not allow the filter, as a feature probe found before
// loading it: no BPF syscall, no socket filter program type or one of the
// map types, no CAP_BPF. hbd then filters in user space. Any other failure
// of Load is a real error: above all, a program the verifier refuses is a
// bug in hbd, and the error carries the verifier's log.
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
	// roles are the programs AttachRole made, by Role.
	roles [RoleBeacons + 1]*ebpf.Program

	lastCounters Counters // tests: the counters at the previous read
}

// The kernel features the filter needs, probed before Load. Tests replace
// probe and programFor.
var (
	probe      = probeKernel
	programFor = program
)

// probeKernel asks the kernel, through cilium/ebpf's feature probes,
// whether it has the program and map types the filter uses. A negative
// probe wraps ErrNotSupported, and so does a probe the kernel refused for
// want of privileges (EPERM: no CAP_BPF, or unprivileged BPF disabled):
// that is the process's environment, not our bug. Any other probe failure
// is returned as it is.
func probeKernel() error {
	if err := probeResult("socket filter programs", features.HaveProgramType(ebpf.SocketFilter)); err != nil {
		return err
	}
	for _, t := range []ebpf.MapType{ebpf.Hash, ebpf.LRUHash, ebpf.PerCPUArray} {
		if err := probeResult(t.String()+" maps", features.HaveMapType(t)); err != nil {
			return err
		}
	}
	return nil
}

// probeResult reads one feature probe's answer (see probeKernel).
func probeResult(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ebpf.ErrNotSupported), errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("%w: %s: %w", ErrNotSupported, what, err)
	}
	return fmt.Errorf("bpf: probe %s: %w", what, err)
}

// Load probes the kernel, then creates the maps and loads the program. The
// error wraps ErrNotSupported only when the probe says the kernel or the
// privileges cannot; past the probe every failure is an error of its own,
// and a refused program's wraps the *ebpf.VerifierError with its log.
func Load() (*Filter, error) {
	if err := probe(); err != nil {
		return nil, err
	}
	f := &Filter{}
	var err error
	if f.clusters, err = ebpf.NewMap(&ebpf.MapSpec{Name: "hbd_clusters", Type: ebpf.Hash, KeySize: 4, ValueSize: 1, MaxEntries: maxClusters}); err != nil {
		return nil, fmt.Errorf("bpf: create cluster map: %w", err)
	}
	if f.deny, err = ebpf.NewMap(&ebpf.MapSpec{Name: "hbd_deny", Type: ebpf.LRUHash, KeySize: 16, ValueSize: 8, MaxEntries: maxDenied}); err != nil {
		f.Close()
		return nil, fmt.Errorf("bpf: create deny map: %w", err)
	}
	if f.counters, err = ebpf.NewMap(&ebpf.MapSpec{Name: "hbd_drops", Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: uint32(NumReasons)}); err != nil {
		f.Close()
		return nil, fmt.Errorf("bpf: create counter map: %w", err)
	}
	f.prog, err = ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "hbd_filter",
		Type:         ebpf.SocketFilter,
		License:      "GPL",
		Instructions: programFor(f.clusters, f.deny, f.counters),
	})
	if err != nil {
		f.Close()
		return nil, loadError(err)
	}
	return f, nil
}

// loadError describes a program the kernel did not load. cilium/ebpf's
// summary of a verifier refusal is the log's last line or two; the message
// adds the last dozen (the instructions that led there), on one line for
// the log file, and the whole log stays reachable with errors.As.
func loadError(err error) error {
	var ve *ebpf.VerifierError
	if !errors.As(err, &ve) || len(ve.Log) == 0 {
		return fmt.Errorf("bpf: load program: %w", err)
	}
	tail := ve.Log[max(0, len(ve.Log)-12):]
	return fmt.Errorf("bpf: the kernel's verifier refused the filter program (a bug in hbd): %w; verifier log (last %d of %d lines): %s",
		err, len(tail), len(ve.Log), strings.Join(tail, " | "))
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
	for _, p := range f.roles {
		if p != nil {
			_ = p.Close()
		}
	}
	for _, m := range []*ebpf.Map{f.clusters, f.deny, f.counters} {
		if m != nil {
			_ = m.Close()
		}
	}
}
