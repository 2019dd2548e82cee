package lrm

import (
	"strconv"
	"strings"

	"github.com/hbd-ha/hbd/wire"
)

// RscStateRequest is hbd's extension of lrmd's protocol for hbctl: like
// getstate, but it tells the LRM's own history of the resource (the last
// run of each operation key, whoever asked for it: a CRM, lrmadmin, the
// haresources monitor) and every unfinished operation, instead of the
// requesting client's last operations.
//
// Reply: a head frame (lrm_t=return, lrm_ret=1, lrm_state=0|1 as
// getstate's, lrm_opcount=N; lrm_ret=0 alone for an unknown resource),
// then N flat frames, one per operation: lrm_rid, lrm_op, lrm_interval
// (ms), lrm_callid and hbd_kind; "last" ones (the history) add lrm_rc,
// lrm_opstatus, lrm_exec_time and lrm_queue_time (ms), hbd_exec_us,
// lrm_t_run and lrm_t_rcchange (epoch s), hbd_digest and hbd_data (the
// first line of the agent's output, or why it failed); "running",
// "queued", "recurring" (a monitor between runs) and "delayed" (in its
// start delay) ones are pending.
const RscStateRequest = "hbd_rscstate"

// Kinds of hbd_rscstate's operation frames.
const (
	KindLast      = "last"
	KindRunning   = "running"
	KindQueued    = "queued"
	KindRecurring = "recurring"
	KindDelayed   = "delayed" // in its start delay
)

// dataLen bounds hbd_data.
const dataLen = 200

func (s *Server) rscstate(cl *client, q *wire.Message) {
	id := string(q.Value("lrm_rid"))
	if _, ok := s.lrm.Get(id); !ok {
		cl.cmd.Send(retFrame(haFail))
		return
	}
	hist := s.lrm.History(id)
	pending, busy := s.lrm.Pending(id)
	head := ret(haOK)
	state := "0"
	if busy {
		state = "1"
	}
	head.AddString("lrm_state", state)
	head.AddString("lrm_opcount", strconv.Itoa(len(hist)+len(pending)))
	s.reply(cl, head)
	for _, r := range hist {
		var m wire.Message
		opFields(&m, id, r.Op, r.Interval.Milliseconds(), r.CallID, KindLast)
		m.AddString("lrm_rc", strconv.Itoa(r.RC))
		m.AddString("lrm_opstatus", strconv.Itoa(int(r.Status)))
		m.AddString("lrm_exec_time", strconv.FormatInt(r.ExecTime.Milliseconds(), 10))
		m.AddString("lrm_queue_time", strconv.FormatInt(r.QueueTime.Milliseconds(), 10))
		m.AddString("hbd_exec_us", strconv.FormatInt(r.ExecTime.Microseconds(), 10))
		m.AddString("lrm_t_run", strconv.FormatInt(r.Run.Unix(), 10))
		m.AddString("lrm_t_rcchange", strconv.FormatInt(r.RCChange.Unix(), 10))
		m.AddString("hbd_digest", r.Digest)
		data := r.Reason
		if data == "" {
			data = r.Output
		}
		data, _, _ = strings.Cut(strings.TrimSpace(data), "\n")
		data = printable(data)
		if data != "" {
			m.AddString("hbd_data", data)
		}
		s.reply(cl, &m)
	}
	for _, p := range pending {
		kind := KindQueued
		switch {
		case p.Running:
			kind = KindRunning
		case p.Waiting && p.Op.Interval > 0:
			kind = KindRecurring
		case p.Waiting:
			kind = KindDelayed
		}
		var m wire.Message
		opFields(&m, id, p.Op.Name, p.Op.Interval.Milliseconds(), p.CallID, kind)
		s.reply(cl, &m)
	}
}

// printable keeps dataLen bytes of printable ASCII (agents print
// anything; classic text carries no control characters).
func printable(s string) string {
	b := make([]byte, 0, min(len(s), dataLen))
	for i := 0; i < len(s) && len(b) < dataLen; i++ {
		c := s[i]
		if c < ' ' || c > '~' {
			c = '?'
		}
		b = append(b, c)
	}
	return string(b)
}

func opFields(m *wire.Message, id, op string, intervalMS int64, callID int, kind string) {
	m.AddString("lrm_rid", id)
	m.AddString("lrm_op", op)
	m.AddString("lrm_interval", strconv.FormatInt(intervalMS, 10))
	m.AddString("lrm_callid", strconv.Itoa(callID))
	m.AddString("hbd_kind", kind)
}
