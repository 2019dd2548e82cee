package rsc

// ownedText is ResourceManager's ownership test (we_own_resource) on the
// stdout of "<script> <args> status"; the exit code plays no part. Its
// shell patterns, tried in order:
//
//	*[Nn][Oo][Tt]\ *[Rr]unning*  → not owned
//	*[Rr]unning*|*OK*            → owned
//	*                            → not owned
//
// "is not running" is therefore not owned, "Running OK" and "OK" are
// owned, "stopped" or nothing at all is not.
func ownedText(out []byte) bool {
	// Some "not " followed later by [Rr]unning: checking after the first
	// "not " suffices, a later one only leaves less text to search.
	if i := indexNot(out); i >= 0 && indexRunning(out[i+len("not "):]) >= 0 {
		return false
	}
	return indexRunning(out) >= 0 || indexOK(out) >= 0
}

// indexNot finds [Nn][Oo][Tt] followed by a blank.
func indexNot(b []byte) int {
	for i := 0; i+4 <= len(b); i++ {
		if b[i]|0x20 == 'n' && b[i+1]|0x20 == 'o' && b[i+2]|0x20 == 't' && b[i+3] == ' ' {
			return i
		}
	}
	return -1
}

// indexRunning finds [Rr]unning: only the first letter's case may vary.
func indexRunning(b []byte) int {
	const rest = "unning"
	for i := 0; i+1+len(rest) <= len(b); i++ {
		if b[i] == 'R' || b[i] == 'r' {
			if string(b[i+1:i+1+len(rest)]) == rest {
				return i
			}
		}
	}
	return -1
}

// indexOK finds "OK", upper case only.
func indexOK(b []byte) int {
	for i := 0; i+2 <= len(b); i++ {
		if b[i] == 'O' && b[i+1] == 'K' {
			return i
		}
	}
	return -1
}
