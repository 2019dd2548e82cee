package config

import "fmt"

// Paths of the three files as heartbeat names them in messages: its
// configuration directory is "/etc/ha.d/", so a double slash appears.
func haCFPath(dir string) string        { return dir + "/" + "/ha.cf" }
func authkeysPath(dir string) string    { return dir + "/" + "/authkeys" }
func haresourcesPath(dir string) string { return dir + "/" + "/haresources" }

// Summary lines heartbeat prints after a failed stage; they name no file.
const (
	msgHACFFailed = "Heartbeat not started: configuration error."
	msgAuthFailed = "Authentication configuration error."
)

// Load reads and validates <confdir>/ha.cf, authkeys and haresources in
// heartbeat's order: ha.cf, authkeys (with its permission rule), the global
// checks, then haresources. The Diagnostics are every line heartbeat would
// print, in order, success or not; the error, when not nil, is a
// Diagnostics of the fatal ones, each naming its file and line. An error
// from env.NodeName is returned as is.
func Load(confdir string, env Env) (*Config, Diagnostics, error) {
	p, err := newParserFor(confdir, haCFPath(confdir), &env)
	if err != nil {
		return nil, nil, err
	}
	data, _, err := env.readFile(p.path)
	if err != nil {
		p.diags = append(p.diags, Diagnostic{File: p.path, Level: LevelError, Fatal: true, Err: err,
			Msg: fmt.Sprintf("Cannot open config file [%s]", p.path)})
		p.logf(LevelInfo, "An annotated sample %s file is provided in the documentation.", p.path)
		p.logf(LevelInfo, "Please copy it to %s, read it, customize it, and try again.", p.path)
		return p.stop(msgHACFFailed)
	}
	if !p.parseLines(string(data)) {
		return p.stop(msgHACFFailed)
	}
	ak, diags, err := readAuthkeys(&env, authkeysPath(confdir))
	p.diags = append(p.diags, diags...)
	if err != nil {
		return p.stop(msgAuthFailed)
	}
	p.cfg.Authkeys = ak
	if !p.finish() {
		return nil, p.diags, p.diags.err()
	}
	if p.cfg.CRM {
		// Heartbeat does not read haresources under a CRM either (the
		// pacemaker directive warned if it exists).
		return p.cfg, p.diags, nil
	}
	hr, diags, err := readHaresources(&env, haresourcesPath(confdir), p.cfg.Nodes)
	p.diags = append(p.diags, diags...)
	if err != nil {
		return nil, p.diags, err
	}
	p.cfg.Haresources = hr
	return p.cfg, p.diags, nil
}

// ParseHACF reads and validates one ha.cf, running heartbeat's global
// checks as if authkeys were valid. path is used in messages only.
func ParseHACF(path string, data []byte, env Env) (*Config, Diagnostics, error) {
	p, err := newParserFor("", path, &env)
	if err != nil {
		return nil, nil, err
	}
	if !p.parseLines(string(data)) {
		return p.stop(msgHACFFailed)
	}
	if !p.finish() {
		return nil, p.diags, p.diags.err()
	}
	return p.cfg, p.diags, nil
}

func newParserFor(dir, path string, env *Env) (*hacfParser, error) {
	name, err := env.nodeName()
	if err != nil {
		return nil, fmt.Errorf("config: local node name: %w", err)
	}
	p := newHACFParser(dir, path, env)
	p.local = asciiLower(name)
	return p, nil
}

// stop ends a failed stage with heartbeat's summary line.
func (p *hacfParser) stop(summary string) (*Config, Diagnostics, error) {
	p.diags = append(p.diags, Diagnostic{Level: LevelError, Msg: summary, Fatal: true})
	return nil, p.diags, p.diags.err()
}

func readAuthkeys(env *Env, path string) (*Authkeys, Diagnostics, error) {
	fail := func(err error, format string) (*Authkeys, Diagnostics, error) {
		ds := Diagnostics{{File: path, Level: LevelError, Fatal: true, Err: err, Msg: fmt.Sprintf(format, path)}}
		return nil, ds, ds
	}
	data, mode, err := env.readFile(path)
	if err != nil {
		return fail(err, "Cannot open keyfile [%s].  Stop.")
	}
	if !KeyfileModeOK(mode) {
		return fail(nil, "Bad permissions on keyfile [%s], 600 recommended.")
	}
	return ParseAuthkeys(path, data)
}

func readHaresources(env *Env, path string, nodes []Node) (*Haresources, Diagnostics, error) {
	data, _, err := env.readFile(path)
	if err != nil {
		ds := Diagnostics{
			{File: path, Level: LevelError, Fatal: true, Err: err, Msg: fmt.Sprintf("Cannot open resources file [%s]", path)},
			{File: path, Level: LevelInfo, Msg: fmt.Sprintf("An annotated sample %s file is provided in the documentation.", path)},
			{File: path, Level: LevelInfo, Msg: fmt.Sprintf("Please copy it to %s, read it, customize it, and try again.", path)},
		}
		return nil, ds, ds.err()
	}
	return ParseHaresources(path, data, nodes)
}
