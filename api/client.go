package api

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/wire"
)

// Client is a blocking API connection, for Go programs: it signs on and
// asks what libhbclient asks, with the same messages. It is not safe for
// concurrent use.
type Client struct {
	conn    net.Conn
	in      []byte // buffered input
	frame   []byte
	req     wire.Message
	pending [][]byte // non-reply frames read while waiting for a reply

	pid    string
	id     string
	node   string // dest of requests: our node name
	signed bool
	info   SignOnInfo
}

// SignOnInfo is what the daemon said when the client signed on. heartbeat
// fills it in even when it refuses the client.
type SignOnInfo struct {
	Node        string
	Deadtime    time.Duration
	Keepalive   time.Duration
	Version     string // hbversion, "3.0.6 (<changeset>)"
	Pacemaker   string
	LogFacility int
}

// ReqError is a request the daemon answered with something other than OK.
type ReqError struct {
	Req    string
	Result string
	Info   string // heartbeat's reason, "" when it gave none
}

func (e *ReqError) Error() string {
	if e.Info == "" {
		return fmt.Sprintf("api: %s: %s", e.Req, e.Result)
	}
	return fmt.Sprintf("api: %s: %s: %s", e.Req, e.Result, e.Info)
}

// ErrNotSignedOn is returned by requests made before SignOn succeeded.
var ErrNotSignedOn = errors.New("api: not signed on")

// Dial connects to the API socket at path (DefaultSocket when empty).
func Dial(path string) (*Client, error) {
	if path == "" {
		path = DefaultSocket
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		return nil, err
	}
	c := &Client{conn: conn, pid: strconv.Itoa(os.Getpid())}
	if h, err := os.Hostname(); err == nil {
		c.node = strings.ToLower(h)
	}
	return c, nil
}

// Close closes the connection without signing off.
func (c *Client) Close() error { return c.conn.Close() }

// SetDeadline bounds every later read and write, as cl_status's alarm.
func (c *Client) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// Info returns what the daemon said at sign-on.
func (c *Client) Info() SignOnInfo { return c.info }

// SignOn signs on as client id, or as a casual client when id is "".
// A refusal is a *ReqError whose Info is heartbeat's reason; Info() is
// filled in either way when the daemon answered.
func (c *Client) SignOn(id string) error {
	c.id = id
	if id == "" {
		c.id = c.pid
	}
	m := c.request(ReqSignOn)
	m.AddString(FieldUID, strconv.Itoa(os.Geteuid()))
	m.AddString(FieldGID, strconv.Itoa(os.Getegid()))
	r, err := c.roundTrip(m)
	if err != nil {
		return err
	}
	res := string(r.Value(FieldResult))
	if r.Value(FieldResult) == nil {
		return &ReqError{Req: ReqSignOn, Result: "(none)"}
	}
	dt, okD := r.Hex(FieldDeadtime)
	ka, okK := r.Hex(FieldKeepalive)
	if okD && okK {
		c.info = SignOnInfo{
			Node:        string(r.Value(FieldNode)),
			Deadtime:    time.Duration(dt) * time.Millisecond,
			Keepalive:   time.Duration(ka) * time.Millisecond,
			Version:     string(r.Value(FieldHBVersion)),
			Pacemaker:   string(r.Value(FieldPacemaker)),
			LogFacility: -1,
		}
		if v, ok := scanInt(r.Value(FieldLogFacility)); ok {
			c.info.LogFacility = int(v)
		}
		if c.info.Node != "" {
			c.node = c.info.Node
		}
	}
	if res != ResultOK {
		return &ReqError{Req: ReqSignOn, Result: res, Info: string(r.Value(FieldInfo))}
	}
	if !okD || !okK {
		return &ReqError{Req: ReqSignOn, Result: res, Info: "no deadtime or keepalive in reply"}
	}
	c.signed = true
	return nil
}

// SignOff tells the daemon we are leaving; no reply comes.
func (c *Client) SignOff() error {
	if !c.signed {
		return nil
	}
	err := c.send(ReqSignOff)
	c.signed = false
	return err
}

// request starts a request message as libhbclient's hb_api_boilerplate.
func (c *Client) request(reqType string) *wire.Message {
	m := &c.req
	m.Reset()
	m.AddString(FieldType, TypeRequest)
	m.AddString(FieldReqType, reqType)
	m.AddString(FieldDest, c.node)
	m.AddString(FieldPID, c.pid)
	m.AddString(FieldFromID, c.id)
	return m
}

// Request sends a request built by the caller (it must carry t, reqtype,
// pid and from_id) and returns the first reply.
func (c *Client) Request(m *wire.Message) (*wire.Message, error) { return c.roundTrip(m) }

func (c *Client) write(m *wire.Message) error {
	var err error
	if c.frame, err = AppendFrame(c.frame[:0], m, false); err != nil {
		return err
	}
	_, err = c.conn.Write(c.frame)
	return err
}

func (c *Client) roundTrip(m *wire.Message) (*wire.Message, error) {
	if err := c.write(m); err != nil {
		return nil, err
	}
	return c.readReply(isResponse)
}

func isResponse(r *wire.Message) bool { return string(r.Type()) == TypeResponse }

// send sends a request with extra string fields (name, value, ...) on a
// signed-on connection.
func (c *Client) send(reqType string, kv ...string) error {
	if !c.signed {
		return ErrNotSignedOn
	}
	m := c.request(reqType)
	for i := 0; i+1 < len(kv); i += 2 {
		m.AddString(kv[i], kv[i+1])
	}
	return c.write(m)
}

// readReply reads frames until one matches; others are kept for
// ReadMessage, as libhbclient queues them.
func (c *Client) readReply(match func(*wire.Message) bool) (*wire.Message, error) {
	for {
		body, err := c.readFrame()
		if err != nil {
			return nil, err
		}
		r := new(wire.Message)
		if _, err := r.Decode(body); err != nil {
			return nil, fmt.Errorf("api: reply: %w", err)
		}
		if match(r) {
			return r, nil
		}
		c.pending = append(c.pending, body)
	}
}

// readFrame returns the next frame's body, owned by the caller.
func (c *Client) readFrame() ([]byte, error) {
	for {
		body, n, err := ipc.SplitFrame(c.in, MaxMessage)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out := append([]byte(nil), body...)
			c.in = c.in[:copy(c.in, c.in[n:])]
			return out, nil
		}
		if cap(c.in)-len(c.in) < 4096 {
			c.in = append(c.in, make([]byte, 16<<10)...)[:len(c.in)]
		}
		k, err := c.conn.Read(c.in[len(c.in):cap(c.in)])
		c.in = c.in[:len(c.in)+k]
		if err != nil {
			if err == io.EOF && k > 0 {
				continue
			}
			return nil, err
		}
	}
}

// ReadMessage returns the next message that is not a reply: a cluster
// message the filter keeps, a join/leave notice. A zero timeout waits
// forever.
func (c *Client) ReadMessage(timeout time.Duration) (*wire.Message, error) {
	var body []byte
	if len(c.pending) > 0 {
		body, c.pending = c.pending[0], c.pending[1:]
	} else {
		if timeout > 0 {
			c.conn.SetReadDeadline(time.Now().Add(timeout))
			defer c.conn.SetReadDeadline(time.Time{})
		}
		var err error
		if body, err = c.readFrame(); err != nil {
			return nil, err
		}
	}
	m := new(wire.Message)
	if _, err := m.Decode(body); err != nil {
		return nil, fmt.Errorf("api: message: %w", err)
	}
	return m, nil
}

// ask sends a request with extra string fields and checks that the reply
// is OK.
func (c *Client) ask(reqType string, kv ...string) (*wire.Message, error) {
	if err := c.send(reqType, kv...); err != nil {
		return nil, err
	}
	r, err := c.readReply(isResponse)
	if err != nil {
		return nil, err
	}
	if res := string(r.Value(FieldResult)); res != ResultOK {
		return r, &ReqError{Req: reqType, Result: res, Info: string(r.Value(FieldInfo))}
	}
	return r, nil
}

func (c *Client) askValue(reqType, field string, kv ...string) (string, error) {
	r, err := c.ask(reqType, kv...)
	if err != nil {
		return "", err
	}
	v := r.Value(field)
	if v == nil {
		return "", &ReqError{Req: reqType, Result: ResultOK, Info: "no " + field + " in reply"}
	}
	return string(v), nil
}

// Nodes lists the cluster's nodes with their type and status, in the
// daemon's (config) order. Weight, site and links are not part of the
// reply.
func (c *Client) Nodes() ([]NodeInfo, error) {
	var nodes []NodeInfo
	err := c.walk(ReqNodeList, FieldNode, func(r *wire.Message, name string) {
		nodes = append(nodes, NodeInfo{Name: name, Type: string(r.Value(FieldNodeType)), Status: string(r.Value(FieldStatus))})
	})
	if err != nil {
		return nil, err
	}
	return nodes, nil
}

// Links lists a node's heartbeat links and their status (iflist).
func (c *Client) Links(node string) ([]LinkInfo, error) {
	var links []LinkInfo
	err := c.walk(ReqIfList, FieldIfName, func(r *wire.Message, name string) {
		links = append(links, LinkInfo{Name: name, Status: string(r.Value(FieldStatus))})
	}, FieldNode, node)
	if err != nil {
		return nil, err
	}
	return links, nil
}

// walk sends a listing request and hands each reply to add: the daemon
// answers one item a reply, result "more" until the last, which is "OK";
// every reply must name its item in nameField.
func (c *Client) walk(reqType, nameField string, add func(r *wire.Message, name string), kv ...string) error {
	if err := c.send(reqType, kv...); err != nil {
		return err
	}
	for {
		r, err := c.readReply(isResponse)
		if err != nil {
			return err
		}
		res := string(r.Value(FieldResult))
		name := r.Value(nameField)
		if (res != ResultOK && res != ResultMore) || name == nil {
			return &ReqError{Req: reqType, Result: res, Info: string(r.Value(FieldInfo))}
		}
		add(r, string(name))
		if res == ResultOK {
			return nil
		}
	}
}

// NodeStatus returns a node's status: init, up, active, dead or ping.
func (c *Client) NodeStatus(node string) (string, error) {
	return c.askValue(ReqNodeStatus, FieldStatus, FieldNode, node)
}

// NodeType returns "normal" or "ping".
func (c *Client) NodeType(node string) (string, error) {
	return c.askValue(ReqNodeType, FieldNodeType, FieldNode, node)
}

// NodeSite returns a node's site.
func (c *Client) NodeSite(node string) (string, error) {
	return c.askValue(ReqNodeSite, FieldSite, FieldNode, node)
}

// NodeWeight returns a node's weight.
func (c *Client) NodeWeight(node string) (int, error) {
	v, err := c.askValue(ReqNodeWeight, FieldWeight, FieldNode, node)
	if err != nil {
		return 0, err
	}
	return atoi([]byte(v)), nil
}

// LinkStatus returns the status of one of a node's links: up or dead.
func (c *Client) LinkStatus(node, link string) (string, error) {
	return c.askValue(ReqIfStatus, FieldStatus, FieldNode, node, FieldIfName, link)
}

// NumNodes returns the number of normal (not ping) nodes.
func (c *Client) NumNodes() (int, error) {
	v, err := c.askValue(ReqNumNodes, FieldNumNodes)
	if err != nil {
		return 0, err
	}
	return atoi([]byte(v)), nil
}

// Param returns a recorded ha.cf parameter; ok is false when it is unset.
func (c *Client) Param(name string) (value string, ok bool, err error) {
	r, err := c.ask(ReqGetParm, FieldPName, name)
	if err != nil {
		return "", false, err
	}
	v := r.Value(FieldPValue)
	return string(v), v != nil, nil
}

// Holding returns the resources this node holds: none, local, foreign,
// all or transition.
func (c *Client) Holding() (string, error) {
	return c.askValue(ReqGetResources, FieldResources)
}

// UUID returns a node's uuid in text form; ok is false when unknown.
func (c *Client) UUID(node string) (uuid string, ok bool, err error) {
	r, err := c.ask(ReqGetUUID, FieldQueryName, node)
	if err != nil {
		return "", false, err
	}
	f, found := r.Get(FieldQueryUUID)
	if !found || len(f.Value) != 16 {
		return "", false, nil
	}
	b := f.Value
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), true, nil
}

// ClientStatus asks whether client id is signed on at node: online,
// offline, or (remote nodes answering late) join or leave. A remote node
// is asked through the cluster; timeout bounds the wait for its answer.
func (c *Client) ClientStatus(node, id string, timeout time.Duration) (string, error) {
	if err := c.send(ReqClientStatus, FieldNode, node, FieldClientName, id); err != nil {
		return "", err
	}
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	defer c.conn.SetReadDeadline(time.Time{})
	r, err := c.readReply(func(r *wire.Message) bool {
		return string(r.Type()) == TypeRCStatus || string(r.Value(FieldSubtype)) == TypeRCStatus
	})
	if err != nil {
		return "", err
	}
	st := r.Value(FieldClientStatus)
	if res := string(r.Value(FieldResult)); res != ResultOK || st == nil {
		return "", &ReqError{Req: ReqClientStatus, Result: res, Info: string(r.Value(FieldInfo))}
	}
	return string(st), nil
}

// SetFilter chooses which treatments of cluster messages this client
// receives (default KeepIt); debug treatments need root or the daemon's uid.
func (c *Client) SetFilter(mask Treatment) error {
	_, err := c.ask(ReqSetFilter, FieldFilterMask, strconv.FormatUint(uint64(mask), 16))
	return err
}

// SetSendQLen sets how many messages may wait for this client before the
// daemon drops it. No reply comes.
func (c *Client) SetSendQLen(n int) error {
	return c.send(ReqSetSendQLen, FieldSendQLen, strconv.Itoa(n))
}

// Send sends a message to the cluster: to every client signed on with the
// same id on every node (casual clients may not send).
func (c *Client) Send(m *wire.Message) error {
	if !c.signed {
		return ErrNotSignedOn
	}
	return c.write(m)
}
