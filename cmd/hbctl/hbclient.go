package main

import (
	"errors"
	"os"
	"time"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/config"
)

// socketPath is the API socket: $HBD_API_SOCKET, else heartbeat's.
func socketPath() string {
	if p := os.Getenv("HBD_API_SOCKET"); p != "" {
		return p
	}
	return api.DefaultSocket
}

// hbClient is libhbclient as cl_status sees it: each call clears and
// refills an error text (errmsg), node and link walks come back in the
// reverse of the daemon's order (libhbclient prepends each reply to its
// list), and their status and type answer later questions from a cache.
type hbClient struct {
	c        *api.Client
	signed   bool
	errmsg   string
	deadtime time.Duration
	info     api.SignOnInfo

	nodes []api.NodeInfo // last node walk, reversed
	links []api.LinkInfo // last link walk, reversed
	host  string         // whose links
}

// signOn is hb_api_signon for a casual client.
func (h *hbClient) signOn() bool {
	h.errmsg = ""
	c, err := api.Dial(socketPath())
	if err != nil {
		h.errmsg = "hb_api_signon: Can't initiate connection to heartbeat"
		return false
	}
	h.c = c
	err = c.SignOn("")
	h.info = c.Info()
	h.deadtime = h.info.Deadtime
	var re *api.ReqError
	switch {
	case err == nil:
		h.signed = true
		return true
	case errors.As(err, &re):
		if re.Result != api.ResultOK {
			h.errmsg = re.Info
		} else {
			h.errmsg = "hb_api_signon: Can't get deadtime "
		}
	}
	return false
}

func (h *hbClient) signOff() {
	if h.c != nil {
		h.c.SignOff()
		h.c.Close()
	}
}

// reason is the text heartbeat's client library left for a failed call.
func reason(err error) string {
	var re *api.ReqError
	if errors.As(err, &re) {
		return re.Info
	}
	return ""
}

func (h *hbClient) initNodeWalk() bool {
	h.errmsg = ""
	nodes, err := h.c.Nodes()
	if err != nil {
		h.errmsg = reason(err)
		return false
	}
	h.nodes = reversed(nodes)
	return true
}

func (h *hbClient) initIfWalk(host string) bool {
	h.errmsg = ""
	links, err := h.c.Links(host)
	if err != nil {
		h.errmsg = reason(err)
		return false
	}
	// Duplicates are dropped, the first seen kept.
	var uniq []api.LinkInfo
	for _, l := range links {
		dup := false
		for _, u := range uniq {
			dup = dup || u.Name == l.Name
		}
		if !dup {
			uniq = append(uniq, l)
		}
	}
	h.links, h.host = reversed(uniq), host
	return true
}

func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// nodeStatus returns "" where libhbclient returns NULL.
func (h *hbClient) nodeStatus(node string) (string, bool) {
	return h.nodeField(node, func(n *api.NodeInfo) string { return n.Status }, h.c.NodeStatus)
}

func (h *hbClient) nodeType(node string) (string, bool) {
	return h.nodeField(node, func(n *api.NodeInfo) string { return n.Type }, h.c.NodeType)
}

// nodeField answers from the last node walk when it knows (field is not
// ""), else asks the daemon.
func (h *hbClient) nodeField(node string, field func(*api.NodeInfo) string, ask func(string) (string, error)) (string, bool) {
	h.errmsg = ""
	for i := range h.nodes {
		if h.nodes[i].Name == node {
			if v := field(&h.nodes[i]); v != "" {
				return v, true
			}
			break
		}
	}
	v, err := ask(node)
	return v, err == nil
}

func (h *hbClient) ifStatus(node, link string) (string, bool) {
	h.errmsg = ""
	if h.host == node {
		for _, l := range h.links {
			if l.Name == link && l.Status != "" {
				return l.Status, true
			}
		}
	}
	s, err := h.c.LinkStatus(node, link)
	return s, err == nil
}

// param is get_parameter: hbversion and pacemaker come from the sign-on
// reply.
func (h *hbClient) param(name string) (string, bool) {
	h.errmsg = ""
	switch {
	case name == "hbversion" && h.info.Version != "":
		return h.info.Version, true
	case name == "pacemaker" && h.info.Pacemaker != "":
		return h.info.Pacemaker, true
	}
	v, ok, err := h.c.Param(name)
	return v, ok && err == nil
}

func (h *hbClient) resources() (string, bool) {
	h.errmsg = ""
	v, err := h.c.Holding()
	if err != nil {
		h.errmsg = reason(err)
		return "", false
	}
	return v, true
}

// clientStatus is get_clientstatus: a missing or late answer is "No timely
// response." after timeout (a negative timeout waits for cl_status's
// alarm).
func (h *hbClient) clientStatus(node, id string, timeout time.Duration) (string, bool) {
	h.errmsg = ""
	if node == "" {
		h.errmsg = "client status : bad nodename"
		return "", false
	}
	if timeout < 0 {
		timeout = time.Hour
	}
	s, err := h.c.ClientStatus(node, id, max(timeout, time.Millisecond))
	if err != nil {
		var re *api.ReqError
		if errors.As(err, &re) {
			h.errmsg = "received wrong type of msg: Success"
		} else {
			h.errmsg = "No timely response."
		}
		return "", false
	}
	return s, true
}

// pacemakerEnabled is cl_status's is_pacemaker_enabled: anything that is
// not a boolean counts as enabled.
func (h *hbClient) pacemakerEnabled() (string, bool) {
	v, ok := h.param("pacemaker")
	if !ok {
		v, ok = h.param("crm")
	}
	if !ok {
		return "", true
	}
	b, isBool := config.ParseBool(v)
	return v, !isBool || b
}
