package api

import "strconv"

// C's number parsing as heartbeat uses it on request fields: leading
// blanks, an optional sign, digits, and whatever follows ignored.

// scanInt is sscanf("%ld"): ok when at least one digit was read. Values
// beyond int64 saturate, as strtol does.
func scanInt(b []byte) (int64, bool) {
	b, neg := cSign(b)
	i := 0
	var v int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := int64(b[i] - '0')
		if v > (1<<63-1-d)/10 {
			v = 1<<63 - 1
		} else {
			v = v*10 + d
		}
	}
	if neg {
		v = -v
	}
	return v, i > 0
}

// atoi is C's atoi on a field value (0 when absent or not a number),
// clamped to int32 as the pid_t and int it lands in.
func atoi(b []byte) int {
	v, _ := scanInt(b)
	return int(int32(v))
}

// scanHex is sscanf("%x"), with its optional 0x prefix.
func scanHex(b []byte) (uint32, bool) {
	b, neg := cSign(b)
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') && isHex(b[2]) {
		b = b[2:]
	}
	i := 0
	var v uint32
	for ; i < len(b) && isHex(b[i]); i++ {
		v = v<<4 | uint32(hexVal(b[i]))
	}
	if neg {
		v = -v
	}
	return v, i > 0
}

// cSign skips what C's number scanning skips before the digits, leading
// blanks and one sign, and says whether the sign was a minus.
func cSign(b []byte) (rest []byte, neg bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		return b[i+1:], b[i] == '-'
	}
	return b[i:], false
}

func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func itoa(v int) string { return strconv.Itoa(v) }

// facilities are syslog's facility names in code order (code<<3 is the
// value): cluster-glue's facilitynames for the codes it knows.
var facilities = [...]string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp"}

// facilityValue is cluster-glue's cl_syslogfac_str2int for the signon
// reply's logfacility: -1 when unset or unknown, "none" is 0.
func facilityValue(name string, ok bool) int {
	switch {
	case !ok:
		return -1
	case name == "none":
		return 0
	case name == "security": // auth's other name
		name = "auth"
	case len(name) == 6 && name[:5] == "local" && name[5] >= '0' && name[5] <= '7':
		return (16 + int(name[5]-'0')) << 3
	}
	for code, f := range facilities {
		if f == name {
			return code << 3
		}
	}
	return -1
}
