package bpf

import (
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

// Role is the share of a datagram medium's traffic one of its sockets
// takes, where media opened a beacon socket beside the receive socket
// (media.Beaconer). A socket holds one filter, so the split that media's
// classic filters made is made here again, before the filter proper:
// each datagram is judged and counted on the one socket that keeps it.
type Role int

const (
	RoleAll       Role = iota // no beacon socket: everything (Attach)
	RoleNoBeacons             // a receive socket beside a beacon socket
	RoleBeacons               // a beacon socket
)

// The beacon rule of media.IsBeacon, at offsets from the UDP header (a
// socket filter's skb->data): native magic and version 1, sequence 0,
// and a body starting with t=status.
const (
	udpHdr       = 8
	beaconMinLen = 32 + 10 + 32
)

// rolePrefix returns the instructions that run before the filter proper
// (whose first instruction it jumps to as "role_main") and return 0 for
// what role leaves to the other socket, uncounted.
func rolePrefix(role Role) asm.Instructions {
	p := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.LoadMem(asm.R0, asm.R6, 0, asm.Word), // skb->len
		asm.JLT.Imm(asm.R0, udpHdr+beaconMinLen, "role_other"),
	}
	for _, c := range []struct {
		off  int32
		size asm.Size
		want int32
	}{
		{0, asm.Word, 0x6862644E}, {4, asm.Byte, 1}, {24, asm.Word, 0}, {28, asm.Word, 0},
		{32, asm.Word, 0x00010674}, {36, asm.Word, 0x73746174}, {40, asm.Half, 0x7573},
	} {
		// LD_ABS: big-endian, in bounds (checked above).
		p = append(p, asm.LoadAbs(udpHdr+c.off, c.size), asm.JNE.Imm(asm.R0, c.want, "role_other"))
	}
	keep := asm.Ja.Label("role_main")
	if role == RoleBeacons {
		return append(p, keep, asm.Mov.Imm(asm.R0, 0).WithSymbol("role_other"), asm.Return())
	}
	return append(p, asm.Mov.Imm(asm.R0, 0), asm.Return(), asm.Ja.Label("role_main").WithSymbol("role_other"))
}

// AttachRole puts the filter on a socket that takes role's share only.
func (f *Filter) AttachRole(fd int, role Role) error {
	if role == RoleAll {
		return f.Attach(fd)
	}
	prog := f.roles[role]
	if prog == nil {
		// LD_ABS clobbers R1-R5: the filter proper gets the skb back.
		main := append(asm.Instructions{asm.Mov.Reg(asm.R1, asm.R6).WithSymbol("role_main")},
			programFor(f.clusters, f.deny, f.counters)...)
		var err error
		prog, err = ebpf.NewProgram(&ebpf.ProgramSpec{
			Name:         "hbd_filter_role",
			Type:         ebpf.SocketFilter,
			License:      "GPL",
			Instructions: append(rolePrefix(role), main...),
		})
		if err != nil {
			return loadError(err)
		}
		f.roles[role] = prog
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ATTACH_BPF, prog.FD()); err != nil {
		return fmt.Errorf("bpf: attach filter to socket: %w", err)
	}
	return nil
}
