package master

// history is heartbeat's msg_xmit_hist: the last 500 sequenced messages we
// sent, kept as the exact bytes that went out, so a retransmission is
// byte for byte the original (same seq, ts and auth).
type history struct {
	slots  [maxMsgHist]histSlot // seq s lives in slots[s % maxMsgHist]
	hiseq  uint64               // highest seq sent
	lowseq uint64               // seqs at or below this are gone ("seqno too low")
	ackseq uint64               // lowest seq every live node has ACKed

	// Heartbeat keeps messages at least 2–2.5 s whatever the ACKs say: a
	// snapshot of hiseq every 500 ms, five deep, bounds what may be freed.
	snaps    [histSnapshots]uint64
	snapNext int
	timerLow uint64
}

type histSlot struct {
	seq        uint64
	data       []byte
	resent     bool
	lastRexmit int64
}

// histSlotSize is the room preallocated per slot: a status message is
// about 310 bytes, so the steady state never allocates.
const histSlotSize = 512

func (h *history) init() {
	backing := make([]byte, maxMsgHist*histSlotSize)
	for i := range h.slots {
		h.slots[i].data = backing[i*histSlotSize : i*histSlotSize : (i+1)*histSlotSize]
	}
}

// add records message seq (the next one) and its bytes.
func (h *history) add(seq uint64, b []byte) {
	s := &h.slots[seq%maxMsgHist]
	if s.seq != 0 && s.seq > h.lowseq {
		h.lowseq = s.seq // the ring overwrites it
	}
	s.seq = seq
	s.data = append(s.data[:0], b...)
	s.resent = false
	h.hiseq = seq
}

// get returns the slot holding seq, or nil.
func (h *history) get(seq uint64) *histSlot {
	s := &h.slots[seq%maxMsgHist]
	if s.seq != seq || seq == 0 {
		return nil
	}
	return s
}

func (h *history) snapshot() {
	h.timerLow = h.snaps[h.snapNext]
	h.snaps[h.snapNext] = h.hiseq
	h.snapNext = (h.snapNext + 1) % histSnapshots
}

// setAck raises the cluster-wide ACK and frees what it allows.
func (h *history) setAck(ack uint64) {
	h.ackseq = ack
	if free := min(ack, h.timerLow); free > h.lowseq {
		h.lowseq = free
	}
}

// unacked is how many of our messages some live node has not ACKed.
func (h *history) unacked() uint64 { return h.hiseq - h.ackseq }

// lastSlot is heartbeat's lastmsg, for its log lines: it fills slots in
// order from 0, so seq s went to slot (s-1) % 500.
func (h *history) lastSlot() uint64 {
	if h.hiseq == 0 {
		return maxMsgHist - 1
	}
	return (h.hiseq - 1) % maxMsgHist
}
