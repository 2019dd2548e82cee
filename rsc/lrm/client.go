package lrm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/wire"
)

// Client is a liblrm session on lrmd's sockets, for tools (hbctl lrm):
// both sockets registered with the same pid, one request at a time,
// every reply awaited at most Timeout.
type Client struct {
	cmd, cbk net.Conn
	// Timeout bounds each reply (a server that does not know a request
	// sends none).
	Timeout time.Duration
}

// Dial opens a session with the lrmd (hbd's or cluster-glue's) whose
// sockets are in dir, as app.
func Dial(dir, app string, timeout time.Duration) (*Client, error) {
	c := &Client{Timeout: timeout}
	reg := new(wire.Message)
	reg.AddString("lrm_t", "reg")
	reg.AddString("lrm_app", app)
	reg.AddString("lrm_pid", strconv.Itoa(os.Getpid()))
	reg.AddString("lrm_gid", strconv.Itoa(os.Getegid()))
	reg.AddString("lrm_uid", strconv.Itoa(os.Geteuid()))
	for _, s := range []struct {
		conn *net.Conn
		name string
	}{{&c.cmd, CmdSock}, {&c.cbk, CallbackSock}} {
		conn, err := net.DialTimeout("unix", filepath.Join(dir, s.name), timeout)
		if err != nil {
			c.Close()
			return nil, err
		}
		*s.conn = conn
		m, err := c.roundTrip(conn, reg)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("register on %s: %w", s.name, err)
		}
		if string(m.Value("lrm_ret")) != "1" {
			c.Close()
			return nil, fmt.Errorf("register on %s: refused", s.name)
		}
	}
	return c, nil
}

// Close ends the session.
func (c *Client) Close() {
	if c.cmd != nil {
		c.cmd.Close()
	}
	if c.cbk != nil {
		c.cbk.Close()
	}
}

func (c *Client) send(conn net.Conn, m *wire.Message) error {
	f := frame(m)
	if f == nil {
		return errors.New("lrm: request cannot be encoded")
	}
	conn.SetWriteDeadline(time.Now().Add(c.Timeout))
	_, err := conn.Write(f)
	return err
}

// maxReply bounds a reply's body (meta-data is the largest).
const maxReply = 4 << 20

func (c *Client) read(conn net.Conn) (*wire.Message, error) {
	conn.SetReadDeadline(time.Now().Add(c.Timeout))
	var hdr [ipc.HeaderLen]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.NativeEndian.Uint32(hdr[:4])
	if binary.NativeEndian.Uint32(hdr[4:]) != ipc.Magic || n > maxReply {
		return nil, fmt.Errorf("lrm: bad reply header % x", hdr)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(conn, body); err != nil {
		return nil, err
	}
	m := new(wire.Message)
	if _, err := m.Decode(body); err != nil {
		return nil, err
	}
	return m, nil
}

func (c *Client) roundTrip(conn net.Conn, m *wire.Message) (*wire.Message, error) {
	if err := c.send(conn, m); err != nil {
		return nil, err
	}
	return c.read(conn)
}

func request(t string, kv ...string) *wire.Message {
	m := new(wire.Message)
	m.AddString("lrm_t", t)
	for i := 0; i+1 < len(kv); i += 2 {
		m.AddString(kv[i], kv[i+1])
	}
	return m
}

// Resources lists the resource ids (getall).
func (c *Client) Resources() ([]string, error) {
	m, err := c.roundTrip(c.cmd, request("getall"))
	if err != nil {
		return nil, err
	}
	if string(m.Value("lrm_ret")) != "1" {
		return nil, errors.New("getall refused")
	}
	f, ok := m.Get("lrm_rid")
	if !ok {
		return nil, nil
	}
	var ids []string
	it := f.List()
	for it.Next() {
		ids = append(ids, string(it.Elem()))
	}
	return ids, it.Err()
}

// Resource describes one resource (getrsc).
func (c *Client) Resource(id string) (Resource, error) {
	m, err := c.roundTrip(c.cmd, request("getrsc", "lrm_rid", id))
	if err != nil {
		return Resource{}, err
	}
	if string(m.Value("lrm_ret")) != "1" {
		return Resource{}, ErrNoResource
	}
	r := Resource{ID: string(m.Value("lrm_rid")), Class: string(m.Value("lrm_rclass")),
		Type: string(m.Value("lrm_rtype")), Provider: string(m.Value("lrm_rprovider"))}
	if f, ok := m.Get("lrm_param"); ok {
		r.Params, _ = decodeParams(f)
	}
	return r, nil
}

// Add declares a resource (addrsc).
func (c *Client) Add(r Resource) error {
	m := request("addrsc", "lrm_rid", r.ID, "lrm_rclass", r.Class, "lrm_rtype", r.Type, "lrm_rprovider", r.Provider)
	m.AddMessage("lrm_param", wire.Struct, paramsMessage(r.Params))
	reply, err := c.roundTrip(c.cmd, m)
	if err != nil {
		return err
	}
	if string(reply.Value("lrm_ret")) != "1" {
		return fmt.Errorf("addrsc %s refused", r.ID)
	}
	return nil
}

// Perform asks for an operation (op, every result reported) and returns
// its call id; NextResult reads the results.
func (c *Client) Perform(o Op) (int, error) {
	m := request("op", "lrm_rid", o.Rsc, "lrm_op", o.Name,
		"lrm_timeout", strconv.FormatInt(o.Timeout.Milliseconds(), 10),
		"lrm_interval", strconv.FormatInt(o.Interval.Milliseconds(), 10),
		"lrm_delay", strconv.FormatInt(o.StartDelay.Milliseconds(), 10),
		"lrm_copyparams", "0", "lrm_targetrc", strconv.Itoa(TargetEverytime))
	m.AddMessage("lrm_param", wire.Struct, paramsMessage(o.Params))
	reply, err := c.roundTrip(c.cmd, m)
	if err != nil {
		return 0, err
	}
	id, _ := strconv.Atoi(string(reply.Value("lrm_ret")))
	if id <= 0 {
		return 0, fmt.Errorf("op %s on %s refused", o.Name, o.Rsc)
	}
	return id, nil
}

// NextResult reads the next operation result: its call id, rc and op
// status.
func (c *Client) NextResult() (callID, rc int, status OpStatus, err error) {
	m, err := c.read(c.cbk)
	if err != nil {
		return 0, 0, 0, err
	}
	callID, _ = strconv.Atoi(string(m.Value("lrm_callid")))
	rc, _ = strconv.Atoi(string(m.Value("lrm_rc")))
	st, _ := strconv.Atoi(string(m.Value("lrm_opstatus")))
	return callID, rc, OpStatus(st), nil
}

// OpState is one operation of a resource as hbd_rscstate tells it: the
// last run of an operation key (Kind "last") or an unfinished one.
type OpState struct {
	Kind     string // KindLast, KindRunning, KindQueued, KindRecurring, KindDelayed
	Op       string
	Interval time.Duration
	CallID   int
	// Of a last run:
	RC        int
	Status    OpStatus
	ExecTime  time.Duration
	QueueTime time.Duration
	Run       time.Time
	RCChange  time.Time
	Digest    string
	Data      string // the output's first line, or why it failed
}

// State returns whether a resource has an operation running or queued,
// and its operations (hbd_rscstate: hbd's lrmd only).
func (c *Client) State(id string) (busy bool, ops []OpState, err error) {
	m, err := c.roundTrip(c.cmd, request(RscStateRequest, "lrm_rid", id))
	if err != nil {
		return false, nil, fmt.Errorf("%s: %w (not hbd's lrmd?)", RscStateRequest, err)
	}
	if string(m.Value("lrm_ret")) != "1" {
		return false, nil, ErrNoResource
	}
	n, err := strconv.Atoi(string(m.Value("lrm_opcount")))
	if err != nil || n < 0 || n > 1<<16 {
		return false, nil, fmt.Errorf("%s: opcount %q", RscStateRequest, m.Value("lrm_opcount"))
	}
	busy = string(m.Value("lrm_state")) == "1"
	for i := 0; i < n; i++ {
		f, err := c.read(c.cmd)
		if err != nil {
			return false, nil, err
		}
		num := func(name string) int64 { v, _ := strconv.ParseInt(string(f.Value(name)), 10, 64); return v }
		o := OpState{Kind: string(f.Value("hbd_kind")), Op: string(f.Value("lrm_op")),
			Interval: time.Duration(num("lrm_interval")) * time.Millisecond, CallID: int(num("lrm_callid"))}
		if o.Kind == KindLast {
			o.RC, o.Status = int(num("lrm_rc")), OpStatus(num("lrm_opstatus"))
			o.ExecTime = time.Duration(num("hbd_exec_us")) * time.Microsecond
			o.QueueTime = time.Duration(num("lrm_queue_time")) * time.Millisecond
			o.Run, o.RCChange = time.Unix(num("lrm_t_run"), 0), time.Unix(num("lrm_t_rcchange"), 0)
			o.Digest, o.Data = string(f.Value("hbd_digest")), string(f.Value("hbd_data"))
		}
		ops = append(ops, o)
	}
	return busy, ops, nil
}
