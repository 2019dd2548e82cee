package wire

import "strconv"

// ParseHex reads a number as heartbeat reads seq, hg, ts, dt and ackseq
// (sscanf "%lx"): leading blanks, an optional 0x or 0X prefix, then hex
// digits of either case; trailing bytes are ignored. It fails when no digit
// is found or the value overflows 64 bits.
func ParseHex(b []byte) (uint64, bool) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i+1 < len(b) && b[i] == '0' && (b[i+1] == 'x' || b[i+1] == 'X') && i+2 < len(b) && hexVal(b[i+2]) >= 0 {
		i += 2
	}
	var v uint64
	digits := 0
	for ; i < len(b); i++ {
		d := hexVal(b[i])
		if d < 0 {
			break
		}
		if v>>60 != 0 {
			return 0, false
		}
		v = v<<4 | uint64(d)
		digits++
	}
	return v, digits > 0
}

// ParseDecimal reads a decimal number as heartbeat reads rexmit seqs (atoi,
// without the sign): leading digits, trailing bytes ignored.
func ParseDecimal(b []byte) (uint64, bool) {
	var v uint64
	digits := 0
	for ; digits < len(b) && '0' <= b[digits] && b[digits] <= '9'; digits++ {
		if v > (1<<64-1)/10-1 {
			return 0, false
		}
		v = v*10 + uint64(b[digits]-'0')
	}
	return v, digits > 0
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseLength reads the decimal digits at the start of b (a netstring
// length). It returns the value, the number of digits, and false if there
// were none, the value exceeds MaxUncompressed (no valid length does), or it
// has a leading zero: libplumb would read "042" as 42, but no heartbeat
// writes it, and one canonical form keeps decode → encode byte-identical.
func parseLength(b []byte) (n, digits int, ok bool) {
	if len(b) > 1 && b[0] == '0' && '0' <= b[1] && b[1] <= '9' {
		return 0, 0, false
	}
	for digits < len(b) && '0' <= b[digits] && b[digits] <= '9' {
		n = n*10 + int(b[digits]-'0')
		if n > MaxUncompressed {
			return 0, digits, false
		}
		digits++
	}
	return n, digits, digits > 0
}

func appendHex(dst []byte, v uint64) []byte { return strconv.AppendUint(dst, v, 16) }

// appendDecimal writes v in decimal; field lengths are nearly always below
// 1000, so those skip strconv.
func appendDecimal(dst []byte, v uint64) []byte {
	switch {
	case v < 10:
		return append(dst, '0'+byte(v))
	case v < 100:
		return append(dst, '0'+byte(v/10), '0'+byte(v%10))
	case v < 1000:
		return append(dst, '0'+byte(v/100), '0'+byte(v/10%10), '0'+byte(v%10))
	}
	return strconv.AppendUint(dst, v, 10)
}
