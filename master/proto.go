package master

// Heartbeat 3.0.6 protocol facts: message types, status words and limits
// that peers depend on. They are facts about other implementations'
// behaviour on the wire: ONLY APPEND, never change a value.

// Message types the membership layer sends or acts on (wire spec §9).
const (
	typeStatus    = "status"
	typeShutdone  = "shutdone"
	typePing      = "NS_st"         // a ping node's echo, handled as a status
	typeRexmit    = "NS_rexmit"     // retransmission request
	typeNakRexmit = "NS_nak_rexmit" // "cannot retransmit"
	typeAck       = "NS_ackmsg"     // flow-control ACK
	typeReqNodes  = "reqnodes"      // node list request at comm-up
	typeRepNodes  = "repnodes"      // node list reply
)

// Field names beyond those package wire names.
const (
	fieldNodeList    = "nodelist"
	fieldDelNodeList = "delnodelist"
)

// Node status words as heartbeat writes them in "st" and shows them.
const (
	StatusInit   Status = "init"   // configured, never heard from
	StatusUp     Status = "up"     // running, communications not yet up
	StatusActive Status = "active" // communications up
	StatusDead   Status = "dead"   // declared dead locally
	StatusPing   Status = "ping"   // a ping node that answers
)

// protocolVersion is the "protocol" field of status messages (PROTOCOL_VERSION).
const protocolVersion = "1"

// Limits from heartbeat.h and heartbeat.c.
const (
	maxMsgHist       = 500            // MAXMSGHIST: sent messages kept for retransmission
	maxMissing       = maxMsgHist     // MAXMISSING: missing seqs tracked per peer
	flowControlLimit = maxMsgHist / 2 // FLOWCONTROL_LIMIT: unACKed messages before clients pause
	ackDiv           = 10             // ACK_MSG_DIV: one message in ten is ACKed
	maxRexmitBatch   = 50             // MAX_REXMIT_BATCH: retransmits per request
	maxNodes         = 1024           // config.MaxNodes (heartbeat's MAXNODE is 100); TestNodeLimitMatchesConfig
	maxMedia         = 64             // MAXMEDIA
	statusLen        = 32             // STATUSLENG: a status word is shorter
	startDeadtimeAdd = 2000 * msec    // advertised dt raised by this at start...
	startDeadtimeFor = 5000 * msec    // ...for this long (hb_add_deadtime/hb_pop_deadtime)
	reqNodesRetry    = 1000 * msec    // reqnodes retry interval
	histSnapshotTick = 500 * msec     // Gmain_update_msgfree_count period
	histSnapshots    = 5              // SEQARRAYCOUNT: history kept ≥ 5 snapshots
	rexmitAcceptSkew = 10 * msec      // a slot resent less than max_rexmit_delay-10ms ago is not resent
	defaultRexmitMax = 250 * msec     // max_rexmit_delay default
	rexmitMinDelay   = 50 * msec      // first request delay lower bound...
	rexmitMinCutoff  = 100 * msec     // ...unless max_rexmit_delay is below this
)

// NAK reasons (info field of NS_nak_rexmit).
const (
	nakTooLow   = "seqno too low"
	nakNotFound = "seqno not found"
)

const msec = 1_000_000 // nanoseconds
