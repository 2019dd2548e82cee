package ccm

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The frames ccm writes to its local clients (/var/run/heartbeat/ccm/ccm),
// each in cluster-glue's IPC framing (an 8-byte header: the body's length
// and the magic 0xabcd, both int32 little-endian on the amd64 hosts
// heartbeat runs on), the bodies raw C structs of libccmclient. Clients
// send nothing.

// Client event codes (ccm's ccm_llm / ccm_meminfo "ev" field).
const (
	clientEvicted       = 1
	clientNewMembership = 2
	clientInflux        = 3
	clientLLM           = 4
)

const (
	frameMagic  = 0xabcd
	llmNameSize = 255 // char name[255], NUL-padded
	llmEntry    = 4 + llmNameSize + 1
)

func appendFrameHeader(dst []byte, bodyLen int) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(bodyLen))
	return binary.LittleEndian.AppendUint32(dst, frameMagic)
}

func appendInt32(dst []byte, v int) []byte {
	return binary.LittleEndian.AppendUint32(dst, uint32(int32(v)))
}

// AppendLLMFrame appends the node table frame: ev 4, the node count, the
// local index, then per node its index and its name in 255 NUL-padded
// bytes and one pad byte (ccm leaves it uninitialised; hbd writes 0).
func AppendLLMFrame(dst []byte, nodes []string, me int) []byte {
	dst = appendFrameHeader(dst, 12+llmEntry*len(nodes))
	dst = appendInt32(dst, clientLLM)
	dst = appendInt32(dst, len(nodes))
	dst = appendInt32(dst, me)
	for i, name := range nodes {
		dst = appendInt32(dst, i)
		if len(name) > llmNameSize-1 {
			name = name[:llmNameSize-1]
		}
		dst = append(dst, name...)
		for range llmNameSize - len(name) + 1 {
			dst = append(dst, 0)
		}
	}
	return dst
}

// AppendMemInfoFrame appends the membership frame: ev 2, the member
// count, the instance, quorum 0/1, then per member its index and born.
func AppendMemInfoFrame(dst []byte, ev Event) []byte {
	dst = appendFrameHeader(dst, 16+8*len(ev.Members))
	dst = appendInt32(dst, clientNewMembership)
	dst = appendInt32(dst, len(ev.Members))
	dst = appendInt32(dst, ev.Instance)
	q := 0
	if ev.Quorum {
		q = 1
	}
	dst = appendInt32(dst, q)
	for _, m := range ev.Members {
		dst = appendInt32(dst, m.Index)
		dst = appendInt32(dst, m.Born)
	}
	return dst
}

// AppendClientPair appends what a client gets on connect (when there is a
// membership) and on every new membership: the node table, then the
// membership. Written with one write, cl_status hbstatus -v always finds
// both (with ccm's two writes it missed the second in 6 runs of 16).
func AppendClientPair(dst []byte, nodes []string, me int, ev Event) []byte {
	return AppendMemInfoFrame(AppendLLMFrame(dst, nodes, me), ev)
}

// AppendInfluxFrame appends the frame a round's start sends (ev 3):
// libccmclient reports OC_EV_MS_NOT_PRIMARY.
func AppendInfluxFrame(dst []byte) []byte {
	return appendInt32(appendFrameHeader(dst, 4), clientInflux)
}

// ccm 3.0.6 defines EVICTED (ev 1) but never sends it; hbd does not either.
var _ = clientEvicted

// ClientFrame is one frame a ccm client reads, decoded (hbctl ccm reads
// hbd's or a real ccm's socket with it).
type ClientFrame struct {
	// Kind: EventMembership (MEMINFO), EventInflux, or 0 for the node
	// table (LLM).
	Kind EventKind
	// The node table (LLM): names by index, and the local index.
	Nodes []string
	Me    int
	// The membership (MEMINFO); Members carry Index and Born only.
	Membership Event
}

// DecodeClientFrame decodes the first frame of b. It returns the bytes
// the frame took, 0 when b holds only part of one.
func DecodeClientFrame(b []byte) (f ClientFrame, n int, err error) {
	if len(b) < 8 {
		return f, 0, nil
	}
	size := int(binary.LittleEndian.Uint32(b))
	if binary.LittleEndian.Uint32(b[4:]) != frameMagic || size < 4 || size > 1<<20 {
		return f, 0, fmt.Errorf("ccm: client frame: bad header % x", b[:8])
	}
	if len(b) < 8+size {
		return f, 0, nil
	}
	body := b[8 : 8+size]
	i32 := func(off int) int { return int(int32(binary.LittleEndian.Uint32(body[off:]))) }
	switch ev := i32(0); ev {
	case clientLLM:
		if size < 12 {
			return f, 0, fmt.Errorf("ccm: node table of %d bytes", size)
		}
		k := i32(4)
		if k < 0 || size != 12+llmEntry*k {
			return f, 0, fmt.Errorf("ccm: node table of %d bytes for %d nodes", size, k)
		}
		f.Me = i32(8)
		for j := range k {
			name := body[12+j*llmEntry+4 : 12+j*llmEntry+4+llmNameSize]
			if z := bytes.IndexByte(name, 0); z >= 0 {
				name = name[:z]
			}
			f.Nodes = append(f.Nodes, string(name))
		}
	case clientNewMembership:
		if size < 16 {
			return f, 0, fmt.Errorf("ccm: membership of %d bytes", size)
		}
		k := i32(4)
		if k < 0 || size != 16+8*k {
			return f, 0, fmt.Errorf("ccm: membership of %d bytes for %d members", size, k)
		}
		f.Kind = EventMembership
		f.Membership = Event{Kind: EventMembership, Instance: i32(8), Quorum: i32(12) != 0}
		for j := range k {
			f.Membership.Members = append(f.Membership.Members, Member{Index: i32(16 + 8*j), Born: i32(20 + 8*j)})
		}
	case clientInflux:
		f.Kind = EventInflux
	default:
		return f, 0, fmt.Errorf("ccm: client frame of event %d", ev)
	}
	return f, 8 + size, nil
}
