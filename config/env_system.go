package config

import (
	"bufio"
	"io"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// stonithPluginDir is where cluster-glue installs its STONITH plugins.
const stonithPluginDir = "/usr/lib/stonith/plugins/stonith2"

// SystemEnv returns the look-ups of the running system for a configuration
// in confdir: the files themselves, uname -n and <confdir>/nodeinfo, /etc/services, the user and
// group databases, the filesystem and the network interfaces (read, never
// configured). Host names are not resolved (see Env.LookupHost).
func SystemEnv(confdir string) Env {
	return Env{
		ReadFile: readFile,
		NodeName: func() (string, error) {
			uname, err := os.Hostname()
			if err != nil {
				return "", err
			}
			info, _ := os.ReadFile(confdir + "//nodeinfo")
			return LocalNodeName(uname, info), nil
		},
		ServiceByName: func(name, proto string) (int, bool) {
			s, ok := findService(func(s service) bool {
				return s.proto == proto && (s.name == name || contains(s.aliases, name))
			})
			return s.port, ok
		},
		ServiceByPort: func(port int, proto string) (string, bool) {
			s, ok := findService(func(s service) bool { return s.proto == proto && s.port == port })
			return s.name, ok
		},
		LookupUser: func(name string) (int, int, bool) {
			u, err := user.Lookup(name)
			if err != nil {
				return 0, 0, false
			}
			uid, err1 := strconv.Atoi(u.Uid)
			gid, err2 := strconv.Atoi(u.Gid)
			return uid, gid, err1 == nil && err2 == nil
		},
		LookupGroup: func(name string) (int, bool) {
			g, err := user.LookupGroup(name)
			if err != nil {
				return 0, false
			}
			gid, err := strconv.Atoi(g.Gid)
			return gid, err == nil
		},
		Executable: func(path string) bool {
			const xOK = 1
			return syscall.Access(path, xOK) == nil
		},
		Stat: func(path string) (fs.FileMode, error) {
			fi, err := os.Stat(path)
			if err != nil {
				return 0, err
			}
			return fi.Mode(), nil
		},
		Interface: systemInterface,
		StonithType: func(name string) bool {
			plugin, _, _ := strings.Cut(name, "/")
			_, err := os.Stat(filepath.Join(stonithPluginDir, plugin+".so"))
			return err == nil
		},
	}
}

// readFile reads a configuration file and the mode of the file it read
// (fstat on the open file, as heartbeat does, so symlinks are followed).
func readFile(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	data := make([]byte, 0, fi.Size()+1) // +1: room to see EOF
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		switch {
		case err == io.EOF:
			return data, fi.Mode(), nil
		case err != nil:
			return nil, 0, err
		case len(data) == cap(data): // the file grew
			data = append(data, 0)[:len(data)]
		}
	}
}

// systemInterface answers as the kernel answers heartbeat's ioctls. An
// alias label ("eth0:1") is looked up on its device.
func systemInterface(name string) (Interface, bool) {
	dev, _, _ := strings.Cut(name, ":")
	ifi, err := net.InterfaceByName(dev)
	if err != nil {
		return Interface{}, false
	}
	info := Interface{Index: ifi.Index}
	addrs, _ := ifi.Addrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			info.HasIPv4 = true
		}
	}
	return info, true
}

type service struct {
	name    string
	port    int
	proto   string
	aliases []string
}

// findService scans /etc/services as getservbyname/getservbyport do,
// returning the first entry that matches.
func findService(match func(service) bool) (service, bool) {
	f, err := os.Open("/etc/services")
	if err != nil {
		return service{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		portStr, proto, ok := strings.Cut(fields[1], "/")
		port, err := strconv.Atoi(portStr)
		if !ok || err != nil {
			continue
		}
		s := service{name: fields[0], port: port, proto: proto, aliases: fields[2:]}
		if match(s) {
			return s, true
		}
	}
	return service{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
