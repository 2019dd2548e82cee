package api

import (
	"strings"

	"github.com/hbd-ha/hbd/wire"
)

// ClientStatusQuery reports whether m is a peer's query-cstatus that
// this node (local) must answer, and which client it asks about for
// which querying client. A query addressed to another node (our own,
// looped back, or one overheard) is not ours.
func ClientStatusQuery(m *wire.Message, local string) (client, fromID []byte, ok bool) {
	if string(m.Type()) != TypeQCStatus {
		return nil, nil, false
	}
	if to := m.Value(FieldDest); to == nil || !strings.EqualFold(string(to), local) {
		return nil, nil, false
	}
	client, fromID = m.Value(FieldClientName), m.Value(FieldFromID)
	return client, fromID, client != nil && fromID != nil
}

// AppendClientStatusAnswer fills r with heartbeat's answer to a
// query-cstatus from node asker (HBDoMsg_T_QCSTATUS): a respond-cstatus
// for the querying client, with status online or offline. heartbeat
// answers every well-formed query, a client it never heard of included
// ("offline"); without an answer the asking cl_status waits out its
// timeout.
func AppendClientStatusAnswer(r *wire.Message, asker string, client, fromID []byte, status string) {
	r.Reset()
	r.AddString(FieldType, TypeRCStatus)
	r.AddString(FieldDest, asker)
	r.AddString(FieldResult, ResultOK)
	r.AddString(FieldClientName, string(client))
	r.AddString(FieldToID, string(fromID))
	r.AddString(FieldClientStatus, status)
}
