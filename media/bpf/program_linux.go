package bpf

import (
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// Stack layout of the program (offsets from R10, the frame pointer).
const (
	stkPayload = -32 // 16 bytes: the start of the UDP payload
	stkAddr    = -48 // 16 bytes: the source address, IPv4 v4-mapped
	stkKey     = -52 // 4 bytes: a counter index
	stkIP      = -72 // 20 bytes: the IP header (IPv4's fixed part)
)

// bpfHdrStartNet is BPF_HDR_START_NET: offsets count from the network
// header, wherever skb->data points (the UDP header on a socket, the IP
// header under BPF_PROG_TEST_RUN).
const bpfHdrStartNet = 1

// Words the payload may start with, as a little-endian load of its first
// four bytes sees them.
const (
	leNative    = 0x4E646268 // "hbdN"
	leNetstring = 0x0A232323 // "###\n"
	leClassic   = 0x0A3E3E3E // ">>>\n"
)

// program returns the filter's instructions. Registers: R6 the skb, R7 the
// payload offset, R8 scratch across calls.
func program(clusters, deny, counters *ebpf.Map) asm.Instructions {
	loadRel := func(off asm.Register, offImm int32, stk int16, n int32) asm.Instructions {
		// bpf_skb_load_bytes_relative(skb, off, fp+stk, n, START_NET)
		ins := asm.Instructions{asm.Mov.Reg(asm.R1, asm.R6)}
		if off == asm.RFP {
			ins = append(ins, asm.Mov.Imm(asm.R2, offImm))
		} else {
			ins = append(ins, asm.Mov.Reg(asm.R2, off))
		}
		return append(ins,
			asm.Mov.Reg(asm.R3, asm.RFP),
			asm.Add.Imm(asm.R3, int32(stk)),
			asm.Mov.Imm(asm.R4, n),
			asm.Mov.Imm(asm.R5, bpfHdrStartNet),
			asm.FnSkbLoadBytesRelative.Call(),
		)
	}
	var p asm.Instructions
	p = append(p, asm.Mov.Reg(asm.R6, asm.R1))
	// The IP header's first 20 bytes: version, IHL, protocol and source
	// for IPv4, the next header for IPv6. Unreadable: not ours to judge.
	p = append(p, loadRel(asm.RFP, 0, stkIP, 20)...)
	p = append(p,
		asm.JNE.Imm(asm.R0, 0, "pass"),
		asm.LoadMem(asm.R1, asm.RFP, stkIP, asm.Byte),
		asm.RSh.Imm(asm.R1, 4),
		asm.JEq.Imm(asm.R1, 4, "v4"),
		asm.JEq.Imm(asm.R1, 6, "v6"),
		asm.Ja.Label("pass"),

		// IPv6: UDP only right after the fixed header; the source address
		// goes straight into the deny key.
		asm.LoadMem(asm.R1, asm.RFP, stkIP+6, asm.Byte).WithSymbol("v6"),
		asm.JNE.Imm(asm.R1, 17, "pass"),
		asm.Mov.Imm(asm.R7, 40+8),
	)
	p = append(p, loadRel(asm.RFP, 8, stkAddr, 16)...)
	p = append(p,
		asm.JNE.Imm(asm.R0, 0, "pass"),
		asm.Ja.Label("payload"),

		// IPv4: UDP after IHL words; the source as ::ffff:a.b.c.d.
		asm.LoadMem(asm.R1, asm.RFP, stkIP+9, asm.Byte).WithSymbol("v4"),
		asm.JNE.Imm(asm.R1, 17, "pass"),
		asm.LoadMem(asm.R7, asm.RFP, stkIP, asm.Byte),
		asm.And.Imm(asm.R7, 0x0f),
		asm.LSh.Imm(asm.R7, 2),
		asm.Add.Imm(asm.R7, 8),
		asm.StoreImm(asm.RFP, stkAddr, 0, asm.Word),
		asm.StoreImm(asm.RFP, stkAddr+4, 0, asm.Word),
		asm.StoreImm(asm.RFP, stkAddr+8, 0, asm.Half),
		asm.StoreImm(asm.RFP, stkAddr+10, -1, asm.Half),
		asm.LoadMem(asm.R1, asm.RFP, stkIP+12, asm.Word),
		asm.StoreMem(asm.RFP, stkAddr+12, asm.R1, asm.Word),
	)

	// The payload's first 16 bytes: magic, version, key slot, flags,
	// cluster id, source index, body length. Fewer: not a heartbeat packet.
	pl := loadRel(asm.R7, 0, stkPayload, 16)
	pl[0] = pl[0].WithSymbol("payload")
	p = append(p, pl...)
	p = append(p,
		asm.JNE.Imm(asm.R0, 0, "drop_magic"),
		asm.LoadMem(asm.R1, asm.RFP, stkPayload, asm.Word),
		asm.JEq.Imm(asm.R1, leNative, "native"),
		asm.JEq.Imm(asm.R1, leNetstring, "heartbeat"),
		asm.JEq.Imm(asm.R1, leClassic, "heartbeat"),
		asm.Ja.Label("drop_magic"),

		// Native: version 1 and a cluster id we accept; the id's four
		// bytes on the stack are the map key as they are.
		asm.LoadMem(asm.R1, asm.RFP, stkPayload+4, asm.Byte).WithSymbol("native"),
		asm.JNE.Imm(asm.R1, 1, "drop_version"),
		asm.LoadMapPtr(asm.R1, clusters.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stkPayload+8),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "drop_cluster"),
		asm.Ja.Label("pass"),

		// Heartbeat's forms: drop while the source is denied.
		asm.LoadMapPtr(asm.R1, deny.FD()).WithSymbol("heartbeat"),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stkAddr),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "pass"),
		asm.LoadMem(asm.R8, asm.R0, 0, asm.DWord),
		asm.FnKtimeGetNs.Call(),
		asm.JLT.Reg(asm.R0, asm.R8, "drop_denied"),
		asm.Ja.Label("pass"),
	)
	p = append(p, verdict("pass", ReasonPass, counters)...)
	p = append(p, verdict("drop_magic", ReasonForeignMagic, counters)...)
	p = append(p, verdict("drop_version", ReasonBadVersion, counters)...)
	p = append(p, verdict("drop_cluster", ReasonForeignCluster, counters)...)
	p = append(p, verdict("drop_denied", ReasonDenied, counters)...)
	return p
}

// verdict counts r in the per-CPU counters and returns: the whole packet
// for ReasonPass, nothing (drop) otherwise.
func verdict(label string, r Reason, counters *ebpf.Map) asm.Instructions {
	ins := asm.Instructions{
		asm.StoreImm(asm.RFP, stkKey, int64(r), asm.Word).WithSymbol(label),
		asm.LoadMapPtr(asm.R1, counters.FD()),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, stkKey),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, label+"_ret"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.Add.Imm(asm.R1, 1),
		asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord),
	}
	if r == ReasonPass {
		// skb->len: keep every byte.
		return append(ins, asm.LoadMem(asm.R0, asm.R6, 0, asm.Word).WithSymbol(label+"_ret"), asm.Return())
	}
	return append(ins, asm.Mov.Imm(asm.R0, 0).WithSymbol(label+"_ret"), asm.Return())
}
