package api

import "github.com/hbd-ha/hbd/ipc"

// Wire constants of heartbeat 3.0.6's API (hb_api.h, hb_api_core.h,
// ha_msg.h). They are facts about other implementations' bytes: ONLY
// APPEND, never change.

// IPC framing (cluster-glue ipc.h), package ipc's.
const (
	HeaderLen  = ipc.HeaderLen
	Magic      = ipc.Magic
	MaxMessage = ipc.MaxFrame // MAXMSG: the largest body either side accepts
)

// DefaultSocket is where libhbclient looks for the daemon (API_REGSOCK);
// /var/run is /run on Debian.
const DefaultSocket = "/var/run/heartbeat/register"

// Message types.
const (
	TypeRequest     = "hbapi-req"
	TypeResponse    = "hbapi-resp"
	TypeClientState = "hbapi-clstat"
	TypeQCStatus    = "query-cstatus"
	TypeRCStatus    = "respond-cstatus"
)

// Field names.
const (
	FieldType         = "t"
	FieldSubtype      = "subt"
	FieldSrc          = "src"
	FieldDest         = "dest"
	FieldReqType      = "reqtype"
	FieldResult       = "result"
	FieldInfo         = "info"
	FieldPID          = "pid"
	FieldFromID       = "from_id"
	FieldToID         = "to_id"
	FieldUID          = "uid"
	FieldGID          = "gid"
	FieldNode         = "node"
	FieldNodeType     = "nodetype"
	FieldStatus       = "st"
	FieldWeight       = "weight"
	FieldSite         = "site"
	FieldIfName       = "ifname"
	FieldClientName   = "cn"
	FieldClientStatus = "cs"
	FieldPName        = "pname"
	FieldPValue       = "pvalue"
	FieldResources    = "rsc_hold"
	FieldNumNodes     = "numnodes"
	FieldQueryUUID    = "queryuuid"
	FieldQueryName    = "queryname"
	FieldSendQLen     = "sendqlen"
	FieldFilterMask   = "fmask"
	FieldSignal       = "signal"
	FieldDeadtime     = "deadtime"
	FieldKeepalive    = "keepalive"
	FieldLogFacility  = "logfacility"
	FieldHBVersion    = "hbversion"
	FieldPacemaker    = "pacemaker"
	FieldClientGen    = "client_gen"
)

// Request types (reqtype).
const (
	ReqSignOn       = "signon"
	ReqSignOff      = "signoff"
	ReqSetFilter    = "setfilter"
	ReqSetSignal    = "setsignal"
	ReqNodeList     = "nodelist"
	ReqNodeStatus   = "nodestatus"
	ReqNodeWeight   = "nodeweight"
	ReqNodeSite     = "nodesite"
	ReqNodeType     = "nodetype"
	ReqNumNodes     = "numnodes"
	ReqIfList       = "iflist"
	ReqIfStatus     = "ifstatus"
	ReqGetParm      = "getparm"
	ReqGetResources = "getrsc"
	ReqGetUUID      = "getuuid"
	ReqGetName      = "getnodename"
	ReqClientStatus = "clientstatus"
	ReqSetSendQLen  = "set_sendqlen"
)

// Results.
const (
	ResultOK     = "OK"
	ResultMore   = "ok/more"
	ResultBadReq = "badreq"
	ResultFail   = "fail"
)

// Treatment says how the daemon treated a message; a client's filter mask
// (setfilter) selects the treatments it wants to see.
type Treatment uint32

// Treatments (hb_api_core.h).
const (
	KeepIt    Treatment = 0x01 // a message for clients: the default
	NoChange  Treatment = 0x02 // a status message that changed nothing
	DropIt    Treatment = 0x04 // dropped (bad auth, replay …)
	Duplicate Treatment = 0x08 // a duplicate
	APICall   Treatment = 0x10 // an API request from a local client
	Protocol  Treatment = 0x20 // a protocol message (rexmit, ACK …)

	debugTreatments = DropIt | Duplicate | APICall | NoChange | Protocol
	allTreatments   = debugTreatments | KeepIt
)

// Node and client states.
const (
	StatusActive  = "active"
	StatusUp      = "up"
	StatusDead    = "dead"
	StatusPing    = "ping"
	StatusJoin    = "join"
	StatusLeave   = "leave"
	StatusOnline  = "online"
	StatusOffline = "offline"
	NodeNormal    = "normal"
	NodePing      = "ping"
)
