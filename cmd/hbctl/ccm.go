package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hbd-ha/hbd/ccm"
)

// ccmSocketPath is ccm's client socket: $HBD_CCM_SOCKET, else "ccm/ccm"
// beside the API socket (/var/run/heartbeat/ccm/ccm), served by hbd's
// built-in CCM or by the real ccm.
func ccmSocketPath() string {
	if p := os.Getenv("HBD_CCM_SOCKET"); p != "" {
		return p
	}
	return filepath.Join(filepath.Dir(socketPath()), "ccm", "ccm")
}

// ccmView is what a ccm client learns on connect: the node table and the
// current membership.
type ccmView struct {
	nodes []string
	me    int
	mem   ccm.Event
}

// readCCM connects to ccm's socket and reads the node table and the
// membership ccm writes on connect, waiting at most wait for them (ccm
// writes nothing before its first membership).
func readCCM(path string, wait time.Duration) (*ccmView, error) {
	c, err := net.DialTimeout("unix", path, wait)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(wait))
	v := &ccmView{me: -1}
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		for {
			f, k, ferr := ccm.DecodeClientFrame(buf)
			if ferr != nil {
				return nil, ferr
			}
			if k == 0 {
				break
			}
			buf = buf[k:]
			switch f.Kind {
			case 0:
				v.nodes, v.me = f.Nodes, f.Me
			case ccm.EventMembership:
				if v.me >= 0 {
					v.mem = f.Membership
					return v, nil
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("ccm closed the connection")
			}
			return nil, errors.New("no membership yet")
		}
	}
}

// bornOrder sorts members as libccmclient reports them: by born, then
// index.
func (v *ccmView) bornOrder() []ccm.Member {
	m := slices.Clone(v.mem.Members)
	slices.SortFunc(m, func(a, b ccm.Member) int { return cmp.Or(cmp.Compare(a.Born, b.Born), cmp.Compare(a.Index, b.Index)) })
	return m
}

func (v *ccmView) name(i int) string {
	if i >= 0 && i < len(v.nodes) {
		return v.nodes[i]
	}
	return fmt.Sprint(i)
}

func (v *ccmView) member() bool {
	return slices.ContainsFunc(v.mem.Members, func(m ccm.Member) bool { return m.Index == v.me })
}

// writeClStatus writes cl_status hbstatus -v's ccm section.
func (v *ccmView) writeClStatus(w io.Writer) {
	q := "with"
	if !v.mem.Quorum {
		q = "WITHOUT"
	}
	fmt.Fprintf(w, "\nccm membership %s quorum\n\tinstance %d\n\tmembers %d\n", q, v.mem.Instance, len(v.mem.Members))
	for _, m := range v.bornOrder() {
		fmt.Fprintf(w, "\t\t%d %s\t(born: %d)\n", m.Index, v.name(m.Index), m.Born)
	}
	if v.member() {
		fmt.Fprintf(w, "\tmember of partition\n")
	} else {
		fmt.Fprintf(w, "\tnot member of partition\n")
	}
}

// ccmCommand is hbctl ccm: the membership this node's ccm reports.
func ccmCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "usage: hbctl ccm\n")
		return 2
	}
	v, err := readCCM(ccmSocketPath(), 2*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "hbctl ccm: %s: %v\n", ccmSocketPath(), err)
		return 1
	}
	q := "yes"
	if !v.mem.Quorum {
		q = "no"
	}
	fmt.Fprintf(stdout, "instance:\t%d\nquorum:\t%s\nmembers:\t%d\n", v.mem.Instance, q, len(v.mem.Members))
	for _, m := range v.bornOrder() {
		me := ""
		if m.Index == v.me {
			me = "\t(this node)"
		}
		fmt.Fprintf(stdout, "\t%s\tborn %d%s\n", v.name(m.Index), m.Born, me)
	}
	return 0
}
