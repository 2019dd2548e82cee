package api_test

import (
	"bytes"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/api/apitest"
)

// FuzzSplitFrame: any bytes either split into a frame whose header says
// its body's length and the magic, wait for more, or fail; never panic.
func FuzzSplitFrame(f *testing.F) {
	good, _ := api.AppendFrame(nil, signOnMsg(), false)
	f.Add(good)
	f.Add(good[:5])
	f.Add(api.AppendRawFrame(nil, -1, api.Magic, nil))
	f.Add(api.AppendRawFrame(nil, 3, 0xdcba, []byte("abc")))
	f.Fuzz(func(t *testing.T, b []byte) {
		body, n, err := api.SplitFrame(b)
		switch {
		case err != nil:
			if n != 0 || body != nil {
				t.Fatalf("error %v with n=%d", err, n)
			}
		case n == 0:
			if len(b) >= api.HeaderLen && len(b) >= api.HeaderLen+api.MaxMessage {
				t.Fatalf("complete input of %d bytes reported as partial", len(b))
			}
		default:
			if n != api.HeaderLen+len(body) || n > len(b) || !bytes.Equal(body, b[api.HeaderLen:n]) {
				t.Fatalf("n=%d body %d bytes of %d", n, len(body), len(b))
			}
			if again := api.AppendRawFrame(nil, int32(len(body)), api.Magic, body); !bytes.Equal(again, b[:n]) {
				t.Fatal("re-framing the body does not give the same bytes")
			}
		}
	})
}

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
