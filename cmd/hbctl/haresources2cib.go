package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cib/store"
)

const haresources2cibUsage = `usage: hbctl haresources2cib [--stdout] [--force] [--no-monitor] [-c HA.CF] [HARESOURCES]

Converts a heartbeat v1 configuration (ha.cf and haresources, by default
/etc/ha.d/ha.cf and /etc/ha.d/haresources) into an equivalent CIB, as
heartbeat 2's haresources2cib.py did:
  - each haresources line becomes a group, its resources in order, placed
    by preference (score 100) on the line's node;
  - an IP address (bare or IPaddr::/IPaddr2::ip/bits/nic/broadcast) becomes
    an ocf:heartbeat:IPaddr2 primitive with ip, cidr_netmask, nic, broadcast;
  - Filesystem::dev::dir::type::options becomes ocf:heartbeat:Filesystem;
  - another script of /etc/ha.d/resource.d becomes a heartbeat-class
    primitive with its arguments in order (1, 2, ...); any other an lsb one;
  - auto_failback on (or legacy) is resource-stickiness 0, off INFINITY;
  - every primitive gets a monitor (unless --no-monitor); STONITH is off
    and quorum ignored, as v1 ran resources.
The CIB goes to /var/lib/heartbeat/crm/cib.xml (with its .sig), which is
not overwritten without --force, or to standard output with --stdout.
`

// h2cOpts are the converter's choices.
type h2cOpts struct {
	monitors bool
	// heartbeatScript reports whether a script is one of resource.d's
	// (heartbeat class), as ResourceManager looks there before init.d.
	heartbeatScript func(name string) bool
}

func runHaresources2cib(prog string, args []string, stdout, stderr io.Writer) int {
	hacf, hares := "/etc/ha.d/ha.cf", ""
	toStdout, force := false, false
	o := h2cOpts{monitors: true}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--stdout":
			toStdout = true
		case a == "--force":
			force = true
		case a == "--no-monitor":
			o.monitors = false
		case a == "-c" || a == "--config":
			if i+1 >= len(args) {
				fmt.Fprint(stderr, haresources2cibUsage)
				return 2
			}
			i++
			hacf = args[i]
		case strings.HasPrefix(a, "--config="):
			hacf = strings.TrimPrefix(a, "--config=")
		case a == "-h" || a == "--help":
			fmt.Fprint(stdout, haresources2cibUsage)
			return 0
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(stderr, "%s: unknown option %s\n%s", prog, a, haresources2cibUsage)
			return 2
		default:
			hares = a
		}
	}
	dir := filepath.Dir(hacf)
	if hares == "" {
		hares = filepath.Join(dir, "haresources")
	}
	cfg, hr, err := loadV1Config(hacf, hares)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	rdir := filepath.Join(dir, "resource.d")
	o.heartbeatScript = func(name string) bool {
		st, err := os.Stat(filepath.Join(rdir, name))
		return err == nil && st.Mode().IsRegular()
	}
	c, err := haresourcesToCIB(cfg, hr, o)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	if toStdout {
		stdout.Write(c.Bytes())
		return 0
	}
	d := store.Dir{Path: store.DefaultDir}
	if _, err := os.Stat(filepath.Join(d.Path, "cib.xml")); err == nil && !force {
		fmt.Fprintf(stderr, "%s: %s exists; --force replaces it (the old one is kept as a backup)\n", prog, filepath.Join(d.Path, "cib.xml"))
		return 1
	}
	if err := d.Save(c.DiskForm()); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s written\n", filepath.Join(d.Path, "cib.xml"))
	return 0
}

// loadV1Config reads ha.cf and haresources as heartbeat does.
func loadV1Config(hacf, hares string) (*config.Config, *config.Haresources, error) {
	data, err := os.ReadFile(hacf)
	if err != nil {
		return nil, nil, err
	}
	cfg, _, err := config.ParseHACF(hacf, data, config.SystemEnv(filepath.Dir(hacf)))
	if err != nil {
		return nil, nil, err
	}
	hdata, err := os.ReadFile(hares)
	if err != nil {
		return nil, nil, err
	}
	hr, _, err := config.ParseHaresources(hares, hdata, cfg.Nodes)
	if err != nil {
		return nil, nil, err
	}
	return cfg, hr, nil
}

// haresourcesToCIB builds the CIB equivalent to a v1 configuration.
func haresourcesToCIB(cfg *config.Config, hr *config.Haresources, o h2cOpts) (*cib.CIB, error) {
	c := cib.Empty("pacemaker-3.0")
	c.Root.Set("epoch", "1")
	props := cib.NewElement("cluster_property_set", "id", "cib-bootstrap-options")
	// v1 had no STONITH resources to convert and ran resources without
	// quorum (two nodes).
	props.AddChild(cib.NewElement("nvpair", "id", "cib-bootstrap-options-stonith-enabled", "name", "stonith-enabled", "value", "false"))
	props.AddChild(cib.NewElement("nvpair", "id", "cib-bootstrap-options-no-quorum-policy", "name", "no-quorum-policy", "value", "ignore"))
	c.Section("crm_config").AddChild(props)
	stick := "0"
	if cfg.AutoFailback == config.FailbackOff {
		stick = "INFINITY"
	}
	defs := c.Root.Child("configuration").InsertChild(1, cib.NewElement("rsc_defaults"))
	meta := defs.AddChild(cib.NewElement("meta_attributes", "id", "rsc-options"))
	meta.AddChild(cib.NewElement("nvpair", "id", "rsc-options-resource-stickiness", "name", "resource-stickiness", "value", stick))
	for _, n := range cfg.Nodes {
		if n.Type != config.NormalNode {
			continue
		}
		c.Section("nodes").AddChild(cib.NewElement("node", "id", n.Name, "uname", n.Name))
	}
	used := map[string]bool{}
	uniq := func(base string) string {
		id := xmlID(base)
		for k := 2; used[id]; k++ {
			id = xmlID(base) + "_" + strconv.Itoa(k)
		}
		used[id] = true
		return id
	}
	res, cons := c.Section("resources"), c.Section("constraints")
	for gi, g := range hr.Groups {
		if len(g.Resources) == 0 {
			continue
		}
		gid := uniq("group_" + strconv.Itoa(gi+1))
		grp := res.AddChild(cib.NewElement("group", "id", gid))
		for _, r := range g.Resources {
			grp.AddChild(v1Primitive(r, uniq, o))
		}
		cons.AddChild(cib.NewElement("rsc_location", "id", uniq("location_"+gid), "rsc", gid, "node", g.Node, "score", "100"))
	}
	if err := cib.Validate(c.Root); err != nil {
		return nil, err
	}
	return c, nil
}

// v1Primitive converts one haresources resource.
func v1Primitive(r config.Resource, uniq func(string) string, o h2cOpts) *cib.Element {
	var p *cib.Element
	var params [][2]string
	monitor := [2]string{"10s", "20s"}
	switch {
	case r.IP != nil:
		p = cib.NewElement("primitive", "id", uniq("IPaddr2_"+strings.ReplaceAll(r.IP.IP, ".", "_")), "class", "ocf", "provider", "heartbeat", "type", "IPaddr2")
		params = append(params, [2]string{"ip", r.IP.IP})
		if r.IP.Netmask != "" {
			params = append(params, [2]string{"cidr_netmask", r.IP.Netmask})
		}
		if r.IP.Iface != "" {
			params = append(params, [2]string{"nic", r.IP.Iface})
		}
		if r.IP.Broadcast != "" {
			params = append(params, [2]string{"broadcast", r.IP.Broadcast})
		}
	case r.Script == "Filesystem":
		p = cib.NewElement("primitive", "id", uniq("Filesystem"+strings.ReplaceAll(fsDir(r.Args), "/", "_")), "class", "ocf", "provider", "heartbeat", "type", "Filesystem")
		for i, name := range []string{"device", "directory", "fstype", "options"} {
			if i < len(r.Args) {
				params = append(params, [2]string{name, r.Args[i]})
			}
		}
		monitor = [2]string{"20s", "40s"}
	case o.heartbeatScript != nil && o.heartbeatScript(r.Script):
		p = cib.NewElement("primitive", "id", uniq(r.Script), "class", "heartbeat", "type", r.Script)
		for i, a := range r.Args {
			params = append(params, [2]string{strconv.Itoa(i + 1), a})
		}
	default:
		p = cib.NewElement("primitive", "id", uniq(r.Script), "class", "lsb", "type", r.Script)
		monitor = [2]string{"15s", "15s"}
	}
	id := p.ID()
	if len(params) > 0 {
		ia := p.AddChild(cib.NewElement("instance_attributes", "id", id+"-instance_attributes"))
		for _, kv := range params {
			ia.AddChild(cib.NewElement("nvpair", "id", xmlID(id+"-instance_attributes-"+kv[0]), "name", kv[0], "value", kv[1]))
		}
	}
	if o.monitors {
		ops := p.AddChild(cib.NewElement("operations"))
		ops.AddChild(cib.NewElement("op", "id", xmlID(id+"-monitor-"+monitor[0]), "name", "monitor", "interval", monitor[0], "timeout", monitor[1]))
	}
	return p
}

// xmlID makes a valid XML ID (an NCName) of s: other characters become
// '_', and one that cannot start a name gets a '_' in front.
func xmlID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || (b[0] >= '0' && b[0] <= '9') || b[0] == '-' || b[0] == '.' {
		b = append([]byte{'_'}, b...)
	}
	return string(b)
}

// fsDir is a Filesystem resource's mount point, for its id.
func fsDir(args []string) string {
	if len(args) > 1 {
		return args[1]
	}
	if len(args) == 1 {
		return args[0]
	}
	return ""
}
