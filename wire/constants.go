package wire

// Wire constants of heartbeat 3.0.6. They are facts about other
// implementations' bytes: ONLY APPEND, never renumber.

// Type is a field's type code, as written in "(T)" on the wire.
type Type uint8

const (
	String       Type = 0 // FT_STRING: bytes without NUL
	Binary       Type = 1 // FT_BINARY: any bytes; base64 in classic form
	Struct       Type = 2 // FT_STRUCT: a nested message
	List         Type = 3 // FT_LIST: packed list of strings "len:bytes,"
	Compressed   Type = 4 // FT_COMPRESS: a compressed serialized message
	Uncompressed Type = 5 // FT_UNCOMPRESS: nested message, compressed when sent
)

func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Binary:
		return "binary"
	case Struct:
		return "struct"
	case List:
		return "list"
	case Compressed:
		return "compress"
	case Uncompressed:
		return "uncompress"
	}
	return "invalid"
}

// Framing markers.
const (
	netstringStart = "###\n"
	netstringEnd   = "%%%\n"
	classicStart   = ">>>"
	classicEnd     = "<<<"
)

// Limits from cluster-glue's ha_msg.h.
const (
	// MaxMessage (MAXMSG) is the largest encoded message heartbeat sends
	// uncompressed; at or above it the whole message is compressed.
	MaxMessage = 262144
	// MaxUncompressed (MAXUNCOMPRESSED) bounds a decompressed message.
	MaxUncompressed = 2097152
	// MaxDepth (MAXDEPTH) bounds message nesting.
	MaxDepth = 16
	// MaxListLength (MAXLENGTH) bounds a packed list in netstring form.
	MaxListLength = 1024
	// maxAuthString bounds the "N digest" auth text (MAXLINE).
	maxAuthString = 5120
)

// escapedLF replaces LF inside string values in classic form, and is turned
// back into LF when any string value is decoded.
const escapedLF = 0x13

// depthSymbol[d] replaces the line terminators of a message nested inside a
// message at depth d (top level is 0) in classic form.
var depthSymbol = [MaxDepth]byte{
	0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f, 0x0f, 0x10, 0x11, 0x12,
}

// Field names heartbeat itself uses.
const (
	FieldType                 = "t"
	FieldStatus               = "st"
	FieldDeadtime             = "dt"
	FieldProtocol             = "protocol"
	FieldSrc                  = "src"
	FieldSrcUUID              = "srcuuid"
	FieldDest                 = "dest"
	FieldDestUUID             = "destuuid"
	FieldSeq                  = "seq"
	FieldGeneration           = "hg"
	FieldTimestamp            = "ts"
	FieldLoad                 = "ld"
	FieldTTL                  = "ttl"
	FieldAuth                 = "auth"
	FieldInfo                 = "info"
	FieldFirstSeq             = "firstseq"
	FieldLastSeq              = "lastseq"
	FieldAckSeq               = "ackseq"
	FieldCompressionAlgorithm = "_compression_algorithm"
	FieldCompressedPayload    = "_compressed_payload"
)

// UUIDLen is the size of a node uuid (srcuuid, destuuid).
const UUIDLen = 16
