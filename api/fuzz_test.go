package api_test

import (
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/api/apitest"
)

// FuzzServer sends arbitrary bytes as a client would, frame by frame, to
// a running server: it must neither panic nor stop serving.
func FuzzServer(f *testing.F) {
	if os.Geteuid() != 0 {
		f.Skip("needs root: signs on as root")
	}
	pid := strconv.Itoa(os.Getpid())
	seed := func(ms ...[]string) []byte {
		var b []byte
		for _, kv := range ms {
			b, _ = api.AppendFrame(b, msg(kv...), false)
		}
		return b
	}
	signon := []string{"t", "hbapi-req", "reqtype", "signon", "pid", pid, "from_id", pid, "uid", "0", "gid", "0"}
	f.Add(seed(signon))
	f.Add(seed(signon, []string{"t", "hbapi-req", "reqtype", "nodelist", "pid", pid, "from_id", pid}))
	f.Add(seed(signon, []string{"t", "hbapi-req", "reqtype", "iflist", "node", "198.18.0.254", "pid", pid, "from_id", pid}))
	f.Add(seed(signon, []string{"t", "hbapi-req", "reqtype", "setfilter", "fmask", "3f", "pid", pid, "from_id", pid}))
	f.Add(seed(signon, []string{"t", "hbapi-req", "reqtype", "getnodename", "pid", pid, "from_id", pid}))
	f.Add(seed([]string{"t", "hbapi-req", "reqtype", "signon", "pid", pid, "from_id", "testclient", "uid", "0", "gid", "0"},
		[]string{"t", "anything", "x", "y"}))
	s := apitest.Start(f, apitest.NewBackend(), api.Options{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := net.Dial("unix", s.Path)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Write(b)
		c.Close()
		s.Do(func() {}) // the loop still runs (Do panics after 5 s otherwise)
	})
}
