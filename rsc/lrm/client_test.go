package lrm

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/wire"
)

// lrmClient is a liblrm session written from the protocol: both sockets,
// the pid-paired reg, one request at a time.
type lrmClient struct {
	cmd, cbk net.Conn
}

func dialLRM(dir, app string) (*lrmClient, error) {
	c := &lrmClient{}
	var err error
	if c.cmd, err = net.Dial("unix", filepath.Join(dir, CmdSock)); err != nil {
		return nil, err
	}
	reg := fmt.Sprintf(">>>\nlrm_t=reg\nlrm_app=%s\nlrm_pid=%d\nlrm_gid=0\nlrm_uid=0\n<<<\n\x00", app, os.Getpid())
	if m, err := c.roundTrip(c.cmd, []byte(reg)); err != nil || string(m.Value("lrm_ret")) != "1" {
		c.Close()
		return nil, fmt.Errorf("reg on cmd: %v", err)
	}
	if c.cbk, err = net.Dial("unix", filepath.Join(dir, CallbackSock)); err != nil {
		c.Close()
		return nil, err
	}
	if m, err := c.roundTrip(c.cbk, []byte(reg)); err != nil || string(m.Value("lrm_ret")) != "1" {
		c.Close()
		return nil, fmt.Errorf("reg on callback: %v", err)
	}
	return c, nil
}

func (c *lrmClient) Close() {
	if c.cmd != nil {
		c.cmd.Close()
	}
	if c.cbk != nil {
		c.cbk.Close()
	}
}

func sendFrame(conn net.Conn, body []byte) error {
	_, err := conn.Write(ipc.AppendRawFrame(nil, int32(len(body)), ipc.Magic, body))
	return err
}

func readFrame(conn net.Conn, within time.Duration) (*wire.Message, []byte, error) {
	conn.SetReadDeadline(time.Now().Add(within))
	var hdr [8]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return nil, nil, err
	}
	body := make([]byte, binary.NativeEndian.Uint32(hdr[:4]))
	if _, err := io.ReadFull(conn, body); err != nil {
		return nil, nil, err
	}
	m := new(wire.Message)
	_, err := m.Decode(body)
	return m, body, err
}

func (c *lrmClient) roundTrip(conn net.Conn, body []byte) (*wire.Message, error) {
	if err := sendFrame(conn, body); err != nil {
		return nil, err
	}
	m, _, err := readFrame(conn, 10*time.Second)
	return m, err
}

func msgBody(m *wire.Message) []byte {
	f := frame(m)
	return f[ipc.HeaderLen:]
}

// addrsc declares a resource.
func (c *lrmClient) addrsc(id, class, typ, prov string, params ...Param) error {
	var m wire.Message
	m.AddString("lrm_t", "addrsc")
	m.AddString("lrm_rid", id)
	m.AddString("lrm_rclass", class)
	m.AddString("lrm_rtype", typ)
	m.AddString("lrm_rprovider", prov)
	if params != nil {
		m.AddMessage("lrm_param", wire.Struct, paramsMessage(params))
	}
	r, err := c.roundTrip(c.cmd, msgBody(&m))
	if err != nil {
		return err
	}
	if v := string(r.Value("lrm_ret")); v != "1" {
		return fmt.Errorf("addrsc: ret %s", v)
	}
	return nil
}

// op runs an operation as liblrm's perform_op and waits for its result
// on the callback socket.
func (c *lrmClient) op(id, name string, timeoutMS, intervalMS int, app string) (*wire.Message, error) {
	var m wire.Message
	for _, f := range [][2]string{{"lrm_t", "op"}, {"lrm_rid", id}, {"lrm_op", name},
		{"lrm_timeout", strconv.Itoa(timeoutMS)}, {"lrm_interval", strconv.Itoa(intervalMS)}, {"lrm_delay", "0"},
		{"lrm_copyparams", "0"}, {"lrm_t_run", "0"}, {"lrm_t_rcchange", "0"}, {"lrm_exec_time", "0"},
		{"lrm_queue_time", "0"}, {"lrm_targetrc", "-1"}, {"lrm_userdata", app}} {
		m.AddString(f[0], f[1])
	}
	m.AddMessage("lrm_param", wire.Struct, new(wire.Message))
	r, err := c.roundTrip(c.cmd, msgBody(&m))
	if err != nil {
		return nil, err
	}
	if n, _ := strconv.Atoi(string(r.Value("lrm_ret"))); n <= 0 {
		return nil, fmt.Errorf("op %s: ret %s", name, r.Value("lrm_ret"))
	}
	res, _, err := readFrame(c.cbk, 30*time.Second)
	return res, err
}

var _ = testing.Short
