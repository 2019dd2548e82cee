package rsc

import (
	"path/filepath"
	"strings"
)

// agentEnv is the environment ResourceManager's children get: the
// daemon's child environment (base) plus what ResourceManager and the
// shellfuncs it sources export. Variables already set are kept, as the
// scripts' ": ${X:=default}" keep them; LC_ALL=C and the PATH prefix are
// forced, as ocf-shellfuncs and shellfuncs force them.
func agentEnv(base []string, o *Options) []string {
	env := make([]string, 0, len(base)+16)
	for _, e := range base {
		// ResourceManager unsets both ("make ifconfig work in France").
		if strings.HasPrefix(e, "LANGUAGE=") || strings.HasPrefix(e, "LC_ALL=") {
			continue
		}
		env = append(env, e)
	}
	def := func(name, value string) {
		if _, ok := lookupEnv(env, name); !ok {
			env = append(env, name+"="+value)
		}
	}
	def("HA_DIR", o.ConfDir)
	def("HA_FUNCS", filepath.Join(o.ConfDir, "shellfuncs"))
	def("HA_RCDIR", filepath.Join(o.ConfDir, "rc.d"))
	def("HA_RESOURCEDIR", o.ResourceDir)
	def("HA_BIN", "/usr/libexec/heartbeat")
	def("HA_FIFO", "/var/lib/heartbeat/fifo")
	def("HA_DOCDIR", "/usr/share/doc/heartbeat")
	def("HA_DEBUGLOG", "/dev/null")
	def("HA_DATEFMT", "%b %d %T ")
	def("OCF_ROOT", o.OCFRoot)
	// One directory too deep, which breaks resource.d/OCF; scripts of
	// users' own may still rely on it.
	def("OCF_AGENTS", filepath.Join(o.OCFRoot, "resource.d", "heartbeat")+"/")
	env = append(env, "LC_ALL=C")
	// shellfuncs: PATH=$HA_BIN:$HA_SBIN_DIR:$HA_NOARCHBIN:$PATH, with
	// HA_BIN still unset at that point.
	path, _ := lookupEnv(env, "PATH")
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	return append(env, "PATH=/usr/sbin:/usr/share/heartbeat:"+path)
}
