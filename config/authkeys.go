package config

import (
	"fmt"
	"io/fs"
	"strings"
)

// MaxAuthKeys is the number of authkeys slots (heartbeat's MAXAUTH).
const MaxAuthKeys = 16

// Authkeys is the content of the authkeys file.
type Authkeys struct {
	// Keys are indexed by slot number; an unused slot has no Method.
	// Every configured key is accepted on incoming messages.
	Keys [MaxAuthKeys]AuthKey
	// Active is the slot outgoing messages are signed with.
	Active int
}

// AuthKey is one "<n> <method> [<key>]" line.
type AuthKey struct {
	Method string // "crc", "md5" or "sha1"
	Key    string // empty for crc
	Line   int
}

// authMethods are the HBauth plugins Debian installs, and whether each
// needs a key.
var authMethods = map[string]bool{"crc": false, "md5": true, "sha1": true}

// KeyfileModeOK reports whether heartbeat accepts the authkeys file's
// permissions: it refuses a file that group or others may read, and
// checks nothing else.
func KeyfileModeOK(mode fs.FileMode) bool { return mode.Perm()&0o044 == 0 }

// ParseAuthkeys reads an authkeys file as heartbeat's parse_authfile does,
// except for the permission rule (see KeyfileModeOK), which belongs to the
// file rather than its content. path is only used in messages.
func ParseAuthkeys(path string, data []byte) (*Authkeys, Diagnostics, error) {
	ap := authParser{path: path, authnum: -1, active: -1, loaded: map[string]bool{}}
	ak := &Authkeys{}
	ok := true
	r := newLineReader(string(data), maxLine)
	for {
		buf, num, more := r.next()
		if !more {
			break
		}
		ap.line = num
		if !ap.parseLine(ak, buf) {
			ok = false
		}
	}
	ap.line = 0
	if ap.active < 0 {
		if ap.authnum < 0 {
			ap.errorf("Missing auth directive in keyfile [%s]", path)
		} else {
			ap.errorf("Auth Key [%d] not found in keyfile [%s]", ap.authnum, path)
		}
		ok = false
	}
	if !ok {
		return nil, ap.diags, ap.diags.err()
	}
	ak.Active = ap.active
	return ak, ap.diags, nil
}

type authParser struct {
	path    string
	line    int
	diags   Diagnostics
	authnum int             // last "auth <n>" value
	active  int             // slot of heartbeat's authmethod, -1 when none
	loaded  map[string]bool // auth plugins loaded now
}

// errorf records a fatal line; authkeys lines are all fatal when printed.
func (ap *authParser) errorf(format string, args ...any) {
	ap.logf(LevelError, format, args...)
}

func (ap *authParser) logf(level Level, format string, args ...any) {
	ap.diags = append(ap.diags, Diagnostic{File: ap.path, Line: ap.line, Level: level, Msg: fmt.Sprintf(format, args...), Fatal: true})
}

func (ap *authParser) parseLine(ak *Authkeys, buf string) bool {
	bp := buf[strspn(buf, whitespace):]
	if bp == "" || bp[0] == '#' {
		return true
	}
	if bp[0] == 'a' {
		// sscanf(bp, "auth %d"): heartbeat prints the raw line,
		// newline included.
		n, ok := scanAuth(bp)
		if !ok {
			ap.errorf("Invalid auth line [%s] in %s", buf, ap.path)
			return false
		}
		ap.authnum = n
		return true
	}
	i, method, key, n := scanKeyLine(bp)
	if n < 2 {
		ap.errorf("Auth line [%s] is invalid.", buf)
		return false
	}
	// Heartbeat drops a reference to the method's plugin on every
	// failure below; the plugin is loaded once, so that unloads it,
	// which shows in the "Table size" it prints.
	if i < 0 || i >= MaxAuthKeys {
		ap.errorf("Invalid authnum [%d] in %s", i, ap.path)
		delete(ap.loaded, method)
		return false
	}
	needsKey, known := authMethods[method]
	if !known {
		ap.errorf("LoadPlugin on %s returned 5: No such plugin/interface/interface type", method)
		ap.errorf("Lookup extended#2 returned FALSE for %s", method)
		ap.errorf("Table size: %d", len(ap.loaded))
		ap.errorf("Invalid authtype [%s]", method)
		return false
	}
	ap.loaded[method] = true
	if key != "" && !needsKey {
		ap.logf(LevelInfo, "Auth method [%s] doesn't use a key", method)
		delete(ap.loaded, method)
		return false
	}
	if key == "" && needsKey {
		ap.errorf("Auth method [%s] requires a key", method)
		delete(ap.loaded, method)
		return false
	}
	ak.Keys[i] = AuthKey{Method: method, Key: key, Line: ap.line}
	if i == ap.authnum {
		ap.active = i
	}
	return true
}

// scanAuth is sscanf(s, "auth %d", &n) == 1.
func scanAuth(s string) (int, bool) {
	if !strings.HasPrefix(s, "auth") {
		return 0, false
	}
	v, n := scanInt(s[4:])
	return v, n > 0
}

// scanKeyLine is sscanf(s, "%d%s%s", &i, method, key); n is its result.
func scanKeyLine(s string) (i int, method, key string, n int) {
	i, used := scanInt(s)
	if used == 0 {
		return 0, "", "", 0
	}
	s = s[used:]
	if method, s = scanWord(s); method == "" {
		return i, "", "", 1
	}
	if key, _ = scanWord(s); key == "" {
		return i, method, "", 2
	}
	return i, method, key, 3
}

// scanInt is scanf's %d: blanks, a sign, digits; n is the bytes used, 0
// when there was no number. The value is truncated to a C int.
func scanInt(s string) (v, n int) {
	l, n := strtol(s)
	return int(int32(l)), n
}

// scanWord is scanf's %s: it skips isspace and reads up to the next one.
func scanWord(s string) (word, rest string) {
	const cspace = " \t\n\v\f\r"
	s = s[strspn(s, cspace):]
	n := strcspn(s, cspace)
	return s[:n], s[n:]
}
