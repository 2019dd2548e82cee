package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hbd-ha/hbd/crm/cib"
	"github.com/hbd-ha/hbd/crm/cibipc"
	"github.com/hbd-ha/hbd/ipc"
)

// This file is the tools' second backend: without CIB_file, the same
// requests go to the running node's CIB socket (cibipc), which answers
// queries from its replica and has the DC apply writes.

// cibSocket is the running node's CIB socket: $HBD_CIB_SOCKET, else in
// lrmd's directory ($HBD_LRM_DIR, else beside the API socket).
func cibSocket() string {
	if p := os.Getenv("HBD_CIB_SOCKET"); p != "" {
		return p
	}
	return filepath.Join(lrmDir(), cibipc.SocketName)
}

// cibDefaultTimeout is how long a tool waits for the cluster (cibadmin's
// -t default, 30 s in Pacemaker, is shorter here: hbd elects a DC within
// a few keepalives).
const cibDefaultTimeout = 10 * time.Second

// cibRetryEvery is the pause before a request that found no DC is sent
// again.
const cibRetryEvery = 200 * time.Millisecond

// cibConn is one connection to the CIB socket.
type cibConn struct {
	c       net.Conn
	id      uint64
	timeout time.Duration
	in      []byte
}

// errNoCIB: nothing answers on the socket (no daemon running the CRM).
var errNoCIB = errors.New("Transport endpoint is not connected")

func dialCIB(timeout time.Duration) (*cibConn, error) {
	if timeout <= 0 {
		timeout = cibDefaultTimeout
	}
	c, err := net.DialTimeout("unix", cibSocket(), timeout)
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
		// The socket is root:haclient 0660: this user is neither.
		return nil, &cib.Error{Code: cib.ErrPermission}
	}
	if err != nil {
		return nil, errNoCIB
	}
	return &cibConn{c: c, timeout: timeout}, nil
}

func (k *cibConn) Close() { k.c.Close() }

// call sends a request and waits for its reply; a request that found no
// DC (an election, a DC lost with it in flight) is sent again until the
// timeout, as Pacemaker's tools wait for the cib manager.
func (k *cibConn) call(req cibipc.Request) (cibipc.Reply, error) {
	deadline := time.Now().Add(k.timeout)
	for {
		r, err := k.once(req, deadline)
		if err != nil || r.RC != cibipc.ErrNotConnected || time.Now().Add(cibRetryEvery).After(deadline) {
			return r, err
		}
		time.Sleep(cibRetryEvery)
	}
}

func (k *cibConn) once(req cibipc.Request, deadline time.Time) (cibipc.Reply, error) {
	k.id++
	req.CallID = k.id
	if left := time.Until(deadline); left > 0 {
		req.TimeoutMS = uint32(left.Milliseconds())
	}
	b, start := ipc.BeginFrame(nil)
	b = cibipc.AppendRequest(b, &req)
	b, err := ipc.EndFrame(b, start, cibipc.MaxFrame)
	if err != nil {
		return cibipc.Reply{}, err
	}
	// The node answers a request it gave up on itself; a little more
	// lets that answer arrive first.
	k.c.SetDeadline(deadline.Add(time.Second))
	if _, err := k.c.Write(b); err != nil {
		return cibipc.Reply{}, err
	}
	for {
		body, n, err := ipc.SplitFrame(k.in, cibipc.MaxFrame)
		if err != nil {
			return cibipc.Reply{}, err
		}
		if n > 0 {
			r, err := cibipc.DecodeReply(body)
			k.in = k.in[n:]
			if err != nil {
				return r, err
			}
			if r.CallID != req.CallID {
				continue // an earlier call's late answer
			}
			return r, nil
		}
		buf := make([]byte, 64<<10)
		m, err := k.c.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return cibipc.Reply{RC: cibipc.ErrTimeout, Detail: "no answer from the node"}, nil
			}
			return cibipc.Reply{}, err
		}
		k.in = append(k.in, buf[:m]...)
	}
}

// liveCIB fetches the whole CIB, status included, from the running node.
func liveCIB(timeout time.Duration) (*cib.CIB, error) {
	k, err := dialCIB(timeout)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	r, err := k.call(cibipc.Request{Op: cibipc.OpQuery})
	if err != nil {
		return nil, err
	}
	if r.RC != 0 {
		return nil, replyError(r)
	}
	root, err := cib.ParseKeepComments(r.Output)
	if err != nil {
		return nil, err
	}
	return cib.New(root)
}

// liveCall sends one request on a new connection.
func liveCall(req cibipc.Request, timeout time.Duration) (cibipc.Reply, error) {
	k, err := dialCIB(timeout)
	if err != nil {
		return cibipc.Reply{}, err
	}
	defer k.Close()
	return k.call(req)
}

// replyError is a failed reply as crm/cib's error (its code decides the
// text and exit status the tools print).
func replyError(r cibipc.Reply) error {
	if r.RC == 0 {
		return nil
	}
	return &cib.Error{Code: cib.Code(r.RC), Detail: r.Detail}
}

// liveCodeText is Pacemaker's text for the transport's codes.
func liveCodeText(rc int32) (string, int, bool) {
	switch rc {
	case cibipc.ErrNotConnected:
		return "Transport endpoint is not connected", 102, true // CRM_EX_DISCONNECT
	case cibipc.ErrTimeout:
		return "Timer expired", 124, true // CRM_EX_TIMEOUT
	case cibipc.ErrBusy:
		return "Resource temporarily unavailable", 1, true
	case cibipc.ErrProto:
		return "Protocol error", 76, true // CRM_EX_PROTOCOL
	}
	return "", 0, false
}

// liveFail prints a failed reply as cibadmin does and returns its exit
// status.
func liveFail(stderr io.Writer, r cibipc.Reply) int {
	if r.RC == int32(cib.ErrPermission) {
		// The node refuses this user the socket: Pacemaker's tools fail
		// at sign-on.
		fmt.Fprintln(stderr, "Could not connect to the CIB: Permission denied\nInit failed, could not perform requested operations")
		return cib.ErrPermission.Exit()
	}
	if text, exit, ok := liveCodeText(r.RC); ok {
		fmt.Fprintf(stderr, "Call failed: %s\n", text)
		if r.Detail != "" {
			fmt.Fprintf(stderr, "(%s)\n", r.Detail)
		}
		return exit
	}
	code := cib.Code(r.RC)
	fmt.Fprintf(stderr, "Call failed: %s\n", code)
	return code.Exit()
}

// noCIB prints what Pacemaker's tools print when no CIB answers.
func noCIB(stderr io.Writer) int {
	fmt.Fprintln(stderr, "Could not connect to the CIB: Transport endpoint is not connected\nInit failed, could not perform requested operations")
	return 102
}

// liveCodeOf maps a transport or reply error to a cib.Code-like exit for
// the tools that print their own messages.
func liveErrExit(err error) (string, int) {
	var e *cib.Error
	if errors.As(err, &e) {
		if text, exit, ok := liveCodeText(int32(e.Code)); ok {
			return text, exit
		}
		return e.Code.String(), e.Code.Exit()
	}
	return err.Error(), 102
}

// liveNodeName is the running node's name ("" when none answers).
func liveNodeName() string {
	r, err := liveCall(cibipc.Request{Op: cibipc.OpNodeName}, 0)
	if err != nil || r.RC != 0 {
		return ""
	}
	return string(r.Output)
}

// toIPC is a crm/cib request as the socket carries it.
func toIPC(req cib.Request) cibipc.Request {
	r := cibipc.Request{Section: req.Section, AllowCreate: req.AllowCreate}
	if req.Data != nil {
		r.Data = req.Data.AppendXML(nil)
	}
	switch req.Op {
	case cib.OpCreate:
		r.Op = cibipc.OpCreate
	case cib.OpModify:
		r.Op = cibipc.OpModify
	case cib.OpReplace:
		r.Op = cibipc.OpReplace
	case cib.OpDelete:
		r.Op = cibipc.OpDelete
	case cib.OpErase:
		r.Op = cibipc.OpErase
	default:
		r.Op = cibipc.OpQuery
	}
	return r
}

// liveApply has the DC apply a tool's request, then applies it to the
// tool's copy c too, so that its next step sees the change. The error is
// a *cib.Error whose code the tools print.
func liveApply(c *cib.CIB, req cib.Request) error {
	r, err := liveCall(toIPC(req), 0)
	if err != nil {
		return &cib.Error{Code: cib.Code(cibipc.ErrNotConnected), Detail: err.Error()}
	}
	if r.RC != 0 {
		return replyError(r)
	}
	if c != nil {
		c.Apply(req) // the DC's answer counts; a copy out of date may refuse
	}
	return nil
}

// liveErrText is the text and exit status of a liveApply error.
func liveErrText(err error) (string, int) {
	return liveErrExit(err)
}
