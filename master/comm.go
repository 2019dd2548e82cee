package master

import (
	"bytes"
	"github.com/hbd-ha/hbd/internal/prio"

	"github.com/hbd-ha/hbd/wire"
)

// checkCommUp is heartbeat's check_comm_isup: the links are up once every
// configured node (ping nodes and ourselves included) has sent something
// or been declared dead. Then the node list is asked of a live peer
// (reqnodes), or, if flow control is off, communications are up at once.
func (m *Master) checkCommUp() {
	if m.phase != phaseWaiting {
		return
	}
	for i := range m.nodes {
		if n := &m.nodes[i]; !n.anyPackets && n.status != StatusDead {
			return
		}
	}
	m.phase = phaseLinksUp
	// Per-node dead intervals apply from now on instead of initdead.
	m.rearmNodes()
	m.rearmLinks()
	if m.flowControl {
		m.sendReqNodes(0)
	} else {
		m.commNowUp()
	}
}

// sendReqNodes is heartbeat's send_reqnodes_msg: ask the first live normal
// peer from index from on for the node list, and retry every second
// until a repnodes arrives. With no live peer, communications are up.
func (m *Master) sendReqNodes(from int) {
	if m.phase != phaseLinksUp {
		return
	}
	if from >= len(m.nodes) {
		from = 0
	}
	dest := -1
	for i := from; i < len(m.nodes); i++ {
		if n := &m.nodes[i]; n.status != StatusDead && i != m.self && n.typ == Normal {
			dest = i
			break
		}
	}
	if dest < 0 {
		m.commNowUp()
		return
	}
	msg := m.msg()
	msg.AddString(wire.FieldType, typeReqNodes)
	msg.AddString(wire.FieldDest, m.nodes[dest].name)
	m.reqFrom = dest
	_ = m.sendCluster(msg)
	if m.phase == phaseLinksUp {
		m.tq.Set(m.reqTimer, m.now+reqNodesRetry)
	}
}

// commNowUp is heartbeat's comm_now_up: once, go active.
func (m *Master) commNowUp() {
	if m.phase == phaseActive || !m.phase.running() {
		return
	}
	wasLinksUp := m.phase.linksUp()
	m.phase = phaseActive
	m.tq.Stop(m.reqTimer)
	if !wasLinksUp {
		m.rearmNodes()
		m.rearmLinks()
	}
	m.out.log(prio.Info, "Comm_now_up(): updating status to active")
	m.setLocalStatus(StatusActive)
	m.out.event(Event{Kind: EventCommUp, Node: m.self, NodeName: m.nodes[m.self].name})
	if m.upper != nil {
		m.upper.CommUp()
	}
}

// onReqNodes answers a peer's reqnodes with our node list (repnodes,
// "dest" first as heartbeat writes it).
func (m *Master) onReqNodes(ni int) {
	if ni == m.self {
		m.out.log(prio.Error, "HBDoMsg_T_REQNODES: get reqnodes msg from myself!")
		return
	}
	msg := m.msg()
	msg.AddString(wire.FieldDest, m.nodes[ni].name)
	msg.AddString(wire.FieldType, typeRepNodes)
	msg.AddString(fieldNodeList, m.nodeList)
	// hbd keeps no deleted-node list (autojoin none): heartbeat sends " ".
	msg.AddString(fieldDelNodeList, " ")
	_ = m.sendCluster(msg)
}

// onRepNodes takes a peer's node list and brings communications up.
// Heartbeat adds the nodes it lists and removes the normal nodes it does
// not; hbd's membership is the configuration (haresources clusters, where
// every ha.cf lists the same nodes), so a difference is reported, not
// applied.
func (m *Master) onRepNodes(ni int, msg *wire.Message) {
	if ni == m.self {
		return
	}
	if list := msg.Value(fieldNodeList); list != nil {
		for name := range bytes.FieldsSeq(list) {
			if j, ok := m.byName[string(name)]; !ok || m.nodes[j].typ != Normal {
				m.out.logf(prio.Warn, "repnodes from %s lists node %s, which is not a node here: not added", m.nodes[ni].name, name)
			}
		}
		for i := range m.nodes {
			if m.nodes[i].typ == Normal && !containsField(list, m.nodes[i].name) {
				m.out.logf(prio.Warn, "repnodes from %s does not list node %s: not removed", m.nodes[ni].name, m.nodes[i].name)
			}
		}
	}
	m.commNowUp()
}

func containsField(list []byte, name string) bool {
	for f := range bytes.FieldsSeq(list) {
		if string(f) == name {
			return true
		}
	}
	return false
}
