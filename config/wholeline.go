package config

import "strings"

// Heartbeat's whole-line directives: each gets the rest of the line (after
// the directive name and its delimiters), comments and line end removed.

func (p *hacfParser) setStonith(rest string) bool {
	typ, after := nextToken(rest, whitespace)
	if typ == "" {
		p.logf(LevelError, "No Stonith type given")
		return false
	}
	if !p.env.stonithType(typ) {
		p.logf(LevelError, "Invalid Stonith type [%s]", typ)
		return false
	}
	file := strings.TrimLeft(after, whitespace)
	if file == "" {
		p.hbdFatalf("No Stonith configuration file given") // heartbeat reads an uninitialised buffer
		return false
	}
	// The plugins read the file when given it; its content is theirs to
	// judge, so hbd checks only that it can be read.
	if _, err := p.env.stat(file); err != nil {
		p.plugf(LevelError, "Cannot open %s", file)
		p.logf(LevelError, "Invalid Stonith config file [%s]", file)
		return false
	}
	p.cfg.Stonith = &Stonith{Line: p.line, Type: typ, ConfigFile: file}
	return true
}

func (p *hacfParser) setStonithHost(rest string) bool {
	host, after := nextToken(rest, whitespace)
	if host == "" {
		p.logf(LevelError, "No Stonith hostname argument given")
		return false
	}
	if len(host) >= hostLeng {
		p.logf(LevelError, "Stonith hostname too long")
		return false
	}
	host = asciiLower(host)
	if host != "*" && host != p.local {
		return true // a line for another node
	}
	typ, evp := nextToken(after, whitespace)
	if typ == "" {
		p.logf(LevelError, "No Stonith type given")
		return false
	}
	if !p.env.stonithType(typ) {
		p.logf(LevelError, "Invalid Stonith type [%s]", typ)
		return false
	}
	params := strings.TrimLeft(evp, whitespace)
	if params == "" {
		// Every plugin needs parameters; heartbeat prints the text right
		// after the type, leading blanks included.
		p.logf(LevelError, "Invalid Stonith configuration parameter [%s]", evp)
		return false
	}
	p.cfg.Stonith = &Stonith{Line: p.line, Type: typ, Host: host, Params: params}
	return true
}

// clientIDLen is sizeof(client_proc_t.client_id).
const clientIDLen = 32

func (p *hacfParser) setAPIAuth(directive string) bool {
	if !p.apiAuth(directive) {
		p.logf(LevelError, "Invalid apiauth directive [%s]", directive)
		p.logf(LevelInfo, "Syntax: apiauth client [uid=uidlist] [gid=gidlist]")
		p.logf(LevelInfo, "Where uidlist is a comma-separated list of uids,")
		p.logf(LevelInfo, "and gidlist is a comma-separated list of gids")
		p.logf(LevelInfo, "One or the other must be specified.")
		return false
	}
	return true
}

// apiAuth is set_api_authorization up to its "baddirective" label.
func (p *hacfParser) apiAuth(directive string) bool {
	bp := directive[strspn(directive, whitespace):]
	if bp == "" {
		return false
	}
	n := strcspn(bp, whitespace)
	if n >= clientIDLen {
		// "%*s" is a width, not a precision: the whole rest is printed.
		p.logf(LevelError, "client name [%s] too long", bp)
		return false
	}
	client := bp[:n]
	bp = bp[n:]
	// Each list is kept with everything after it: heartbeat's messages
	// print from the list to the end of the line.
	var uids, gids string
	var hasUIDs, hasGIDs bool
	for bp = bp[strspn(bp, whitespace):]; bp != ""; bp = bp[strspn(bp, whitespace):] {
		switch {
		case strings.HasPrefix(bp, "uid="):
			if hasUIDs {
				p.logf(LevelError, "Duplicate uid list in apiauth")
				return false
			}
			uids, hasUIDs = bp[4:], true
		case strings.HasPrefix(bp, "gid="):
			if hasGIDs {
				p.logf(LevelError, "Duplicate gid list in apiauth")
				return false
			}
			gids, hasGIDs = bp[4:], true
		default:
			p.logf(LevelError, "Missing uid or gid in apiauth")
			return false
		}
		bp = bp[4:]
		bp = bp[strcspn(bp, whitespace):]
	}
	if !hasUIDs && !hasGIDs {
		return false
	}
	auth := APIAuth{Line: p.line, Client: client}
	var ok bool
	if hasUIDs {
		if auth.UIDs, ok = p.idTable(uids[:strcspn(uids, whitespace)], p.uidOf); !ok {
			p.logf(LevelError, "Bad uid list [%s]", uids)
			return false
		}
	}
	if hasGIDs {
		if auth.GIDs, ok = p.idTable(gids[:strcspn(gids, whitespace)], p.gidOf); !ok {
			p.logf(LevelError, "Bad gid list [%s]", gids)
			return false
		}
	}
	if p.apiClients[client] {
		p.logf(LevelError, "Duplicate apiauth directive for API client %s: [%s]", client, directive)
		return false
	}
	p.apiClients[client] = true
	p.cfg.APIAuth = append(p.cfg.APIAuth, auth)
	return true
}

// idTable is cluster-glue's make_id_table: comma-separated names or
// numbers. The result is never nil on success.
func (p *hacfParser) idTable(list string, id func(string) (int, bool)) ([]int, bool) {
	ids := []int{}
	for list != "" {
		n := strcspn(list, ",")
		v, ok := id(list[:n])
		if !ok || v < 0 {
			return nil, false
		}
		ids = append(ids, v)
		list = list[n:]
		list = list[strspn(list, ","):]
	}
	return ids, true
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

func (p *hacfParser) uidOf(name string) (int, bool) {
	if len(name) >= 64 {
		p.logf(LevelError, "user id name [%s] is too long", name)
		return 0, false
	}
	if startsWithDigit(name) {
		return atoi(name), true
	}
	uid, _, ok := p.env.lookupUser(name)
	if !ok {
		p.logf(LevelError, "Invalid user id name [%s]", name)
	}
	return uid, ok
}

func (p *hacfParser) gidOf(name string) (int, bool) {
	if startsWithDigit(name) {
		return atoi(name), true
	}
	if len(name) >= 64 {
		return 0, false
	}
	gid, ok := p.env.lookupGroup(name)
	if !ok {
		p.logf(LevelError, "Invalid group name [%s]", name)
	}
	return gid, ok
}

// defaultAPIAuth are heartbeat's built-in authorisations, added after
// parsing for clients ha.cf does not mention.
var defaultAPIAuth = []struct{ client, spec string }{
	{"ipfail", "uid=hacluster"},
	{"ccm", "uid=hacluster"},
	{"ping", "gid=haclient"},
	{"lha-snmpagent", "uid=root"},
	{"anon", "uid=root gid=haclient"},
}

func (p *hacfParser) addDefaultAPIAuth() {
	for _, d := range defaultAPIAuth {
		if !p.apiClients[d.client] {
			// Heartbeat ignores a failure here (missing user or group):
			// the messages are printed, the configuration stands.
			p.setAPIAuth(d.client + " " + d.spec)
		}
	}
}

// addClient is add_client_child_base (respawn and failfast).
func (p *hacfParser) addClient(directive string, failfast bool) bool {
	uidp := directive[strspn(directive, whitespace):]
	uidLen := strcspn(uidp, whitespace)
	// Heartbeat steps one byte past the user name before skipping
	// blanks; with nothing after the name it reads past the string.
	cmdp := ""
	if uidLen < len(uidp) {
		cmdp = uidp[uidLen+1:]
	}
	cmdp = cmdp[strspn(cmdp, whitespace):]
	command := cmdp[:strcspn(cmdp, "\r\n")]
	path := cmdp[:strcspn(cmdp, whitespace)]
	if uidLen >= 64 {
		p.logf(LevelError, "UID specified for client child is too long")
		return false
	}
	user := uidp[:uidLen]
	uid, gid, ok := p.env.lookupUser(user)
	if !ok {
		p.logf(LevelError, "Invalid uid [%s] specified for client child", user)
		return false
	}
	if !strings.HasPrefix(cmdp, "/") {
		p.logf(LevelError, "Client child command [%s] is not full pathname", cmdp)
		return false
	}
	if !p.env.executable(path) {
		p.logf(LevelError, "Client child command [%s] is not executable", path)
		return false
	}
	p.cfg.Clients = append(p.cfg.Clients, Client{
		Line: p.line, User: user, UID: uid, GID: gid,
		Command: command, Path: path, Failfast: failfast,
	})
	return true
}
