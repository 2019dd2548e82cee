package api

import "strconv"

// C's number parsing as heartbeat uses it on request fields: leading
// blanks, an optional sign, digits, and whatever follows ignored.

// scanInt is sscanf("%ld"): ok when at least one digit was read. Values
// beyond int64 saturate, as strtol does.
func scanInt(b []byte) (int64, bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	start := i
	var v int64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		d := int64(b[i] - '0')
		if v > (1<<63-1-d)/10 {
			v = 1<<63 - 1
		} else {
			v = v*10 + d
		}
		i++
	}
	if i == start {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// atoi is C's atoi on a field value (0 when absent or not a number),
// clamped to int32 as the pid_t and int it lands in.
func atoi(b []byte) int {
	v, _ := scanInt(b)
	return int(int32(v))
}

// scanHex is sscanf("%x"), with its optional 0x prefix.
func scanHex(b []byte) (uint32, bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i+2 < len(b) && b[i] == '0' && (b[i+1] == 'x' || b[i+1] == 'X') && isHex(b[i+2]) {
		i += 2
	}
	start := i
	var v uint32
	for i < len(b) && isHex(b[i]) {
		v = v<<4 | uint32(hexVal(b[i]))
		i++
	}
	if i == start {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
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

// facilityValue is cluster-glue's cl_syslogfac_str2int for the signon
// reply's logfacility: -1 when unset or unknown, "none" is 0.
func facilityValue(name string, ok bool) int {
	if !ok {
		return -1
	}
	switch name {
	case "none", "kern":
		return 0
	case "user":
		return 1 << 3
	case "mail":
		return 2 << 3
	case "daemon":
		return 3 << 3
	case "auth", "security":
		return 4 << 3
	case "syslog":
		return 5 << 3
	case "lpr":
		return 6 << 3
	case "news":
		return 7 << 3
	case "uucp":
		return 8 << 3
	case "cron":
		return 9 << 3
	case "authpriv":
		return 10 << 3
	case "ftp":
		return 11 << 3
	}
	if len(name) == 6 && name[:5] == "local" && name[5] >= '0' && name[5] <= '7' {
		return (16 + int(name[5]-'0')) << 3
	}
	return -1
}
