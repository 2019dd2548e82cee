package config

import (
	"errors"
	"io/fs"
	"strings"
)

// Env is everything the parser asks of the system: the three files and the
// look-ups heartbeat makes while reading them. SystemEnv gives the real
// ones; tests pass their own so that parsing is hermetic. A nil func means "not available": the look-up
// fails (NodeName) or finds nothing (the others), except LookupHost and
// StonithType, which are then not checked at all.
type Env struct {
	// ReadFile reads one of the configuration files, returning its
	// content and mode (heartbeat checks the mode of authkeys).
	ReadFile func(path string) (data []byte, mode fs.FileMode, err error)
	// NodeName returns the local node name before lower-casing: the
	// first line of <confdir>/nodeinfo when heartbeat would use it,
	// else uname -n (see LocalNodeName).
	NodeName func() (string, error)
	// ServiceByName and ServiceByPort read /etc/services.
	ServiceByName func(name, proto string) (port int, ok bool)
	ServiceByPort func(port int, proto string) (name string, ok bool)
	// LookupUser and LookupGroup read the user and group databases.
	LookupUser  func(name string) (uid, gid int, ok bool)
	LookupGroup func(name string) (gid int, ok bool)
	// Executable reports whether path exists and may be executed.
	Executable func(path string) bool
	// Stat returns the mode of path, following symlinks.
	Stat func(path string) (fs.FileMode, error)
	// Interface describes a network interface; ok is false when there
	// is no interface of that name.
	Interface func(name string) (info Interface, ok bool)
	// LookupHost resolves a ucast or ping host name. Heartbeat resolves
	// these while parsing; hbd's config must not touch the network, so
	// SystemEnv leaves this nil and resolution waits until the medium
	// is opened.
	LookupHost func(host string) error
	// StonithType reports whether a STONITH plugin of that type is
	// installed. nil accepts any type.
	StonithType func(name string) bool
	// Debug is the number of -d flags: heartbeat records it as the
	// "debug" parameter when ha.cf sets none.
	Debug int
}

// Interface is what the media parsers need to know about an interface.
type Interface struct {
	Index   int  // if_nametoindex
	HasIPv4 bool // an IPv4 address is configured (SIOCGIFADDR succeeds)
}

// errNoNodeName is returned when Env.NodeName is missing.
var errNoNodeName = errors.New("config: Env.NodeName is not set")

// LocalNodeName computes heartbeat's local node name from uname -n and the
// content of <confdir>/nodeinfo (nil when it cannot be read): the
// nodeinfo's first line wins if heartbeat's 256-byte fgets read it up to its
// newline. The result is not yet lower-cased.
func LocalNodeName(uname string, nodeinfo []byte) string {
	if len(nodeinfo) == 0 || nodeinfo[0] == 0 {
		return uname
	}
	line := nodeinfo
	if len(line) > 255 {
		line = line[:255]
	}
	// heartbeat looks for the newline in the whole buffer, past any NUL,
	// then uses the C string, which ends at the first NUL.
	i := strings.IndexByte(string(line), '\n')
	if i < 0 {
		return uname
	}
	line = line[:i]
	if j := strings.IndexByte(string(line), 0); j >= 0 {
		line = line[:j]
	}
	return string(line)
}

func (e *Env) readFile(path string) ([]byte, fs.FileMode, error) {
	if e.ReadFile == nil {
		return nil, 0, fs.ErrNotExist
	}
	return e.ReadFile(path)
}

func (e *Env) nodeName() (string, error) {
	if e.NodeName == nil {
		return "", errNoNodeName
	}
	return e.NodeName()
}

func (e *Env) serviceByName(name, proto string) (int, bool) {
	if e.ServiceByName == nil {
		return 0, false
	}
	return e.ServiceByName(name, proto)
}

func (e *Env) serviceByPort(port int, proto string) (string, bool) {
	if e.ServiceByPort == nil {
		return "", false
	}
	return e.ServiceByPort(port, proto)
}

func (e *Env) lookupUser(name string) (uid, gid int, ok bool) {
	if e.LookupUser == nil {
		return 0, 0, false
	}
	return e.LookupUser(name)
}

func (e *Env) lookupGroup(name string) (int, bool) {
	if e.LookupGroup == nil {
		return 0, false
	}
	return e.LookupGroup(name)
}

func (e *Env) executable(path string) bool {
	return e.Executable != nil && e.Executable(path)
}

func (e *Env) stat(path string) (fs.FileMode, error) {
	if e.Stat == nil {
		return 0, fs.ErrNotExist
	}
	return e.Stat(path)
}

func (e *Env) iface(name string) (Interface, bool) {
	if e.Interface == nil {
		return Interface{}, false
	}
	return e.Interface(name)
}

func (e *Env) lookupHost(host string) error {
	if e.LookupHost == nil {
		return nil
	}
	return e.LookupHost(host)
}

func (e *Env) stonithType(name string) bool {
	return e.StonithType == nil || e.StonithType(name)
}
