package api_test

import (
	"testing"
	"time"

	"github.com/hbd-ha/hbd/api"
	"github.com/hbd-ha/hbd/api/apitest"
	"github.com/hbd-ha/hbd/config"
	"github.com/hbd-ha/hbd/ipc"
	"github.com/hbd-ha/hbd/wire"
)

// statusMsg is a peer's status heartbeat as the daemon passes it on.
func statusMsg() *wire.Message {
	return msg("t", "status", "st", "active", "dt", "7530", "protocol", "1", "src", "node3",
		"srcuuid", "PUMPSbkVTmy4+lqw4c8aLQ==", "seq", "1a2", "hg", "4d2e1c07", "ts", "673fd2a1", "ld", "0.08 0.03 0.01 1/95 1234", "ttl", "3")
}

// withClients allows n named clients "client0"… (heartbeat admits one
// casual client per process).
func withClients(b *apitest.Backend, n int) *apitest.Backend {
	for i := range n {
		b.Rules = append(b.Rules, config.APIAuth{Client: "client" + itoa(i), UIDs: []int{0}})
	}
	return b
}

// signedOnClients connects n named clients; it returns once all are
// signed on.
func signedOnClients(t testing.TB, s *apitest.Server, n int) []*api.Client {
	t.Helper()
	var cs []*api.Client
	for i := range n {
		cs = append(cs, s.SignOn(t, "client"+itoa(i)))
	}
	return cs
}

// rawClients signs on n named clients "client0"… without api.Client, and
// discards what they receive without allocating, so that allocation
// counts are the server's alone.
func rawClients(t testing.TB, s *apitest.Server, n int) {
	for i := range n {
		r := dialRaw(t, s)
		r.SetDeadline(time.Time{})
		r.send(signOnMsg("from_id", "client"+itoa(i)))
		if res := string(r.reply().Value("result")); res != "OK" {
			t.Fatalf("client%d: sign-on %s", i, res)
		}
		go func() {
			buf := make([]byte, 64<<10)
			for {
				if _, err := r.Read(buf); err != nil {
					return
				}
			}
		}()
	}
}

func TestDeliver(t *testing.T) {
	apitest.RequireRoot(t)
	s := apitest.Start(t, withClients(apitest.NewBackend(), 3), api.Options{})
	named := s.SignOn(t, "testclient")
	cs := signedOnClients(t, s, 3)
	// A debug client sees what the default filter hides. (heartbeat finds
	// a request's client by pid, newest first: only the newest of one
	// process's clients may ask anything.)
	if err := cs[2].SetFilter(api.KeepIt | api.Protocol); err != nil {
		t.Fatal(err)
	}
	s.Do(func() {
		s.Deliver(statusMsg(), api.KeepIt)
		s.Deliver(msg("t", "rexmit", "src", "node3"), api.Protocol)
		s.Deliver(msg("t", "hbapi-clstat", "st", "join", "from_id", "testclient", "to_id", "testclient"), api.KeepIt)
	})
	for i, c := range cs {
		m, err := c.ReadMessage(2 * time.Second)
		if err != nil || string(m.Type()) != "status" || string(m.Value("ld")) != "0.08 0.03 0.01 1/95 1234" {
			t.Fatalf("client %d: first message %v, %v", i, m, err)
		}
		m, err = c.ReadMessage(200 * time.Millisecond)
		if i == 2 {
			if err != nil || string(m.Type()) != "rexmit" {
				t.Errorf("debug client: %v, %v, want the rexmit", m, err)
			}
		} else if err == nil {
			t.Errorf("client %d got %s: addressed elsewhere or filtered", i, m.Type())
		}
	}
	if m, err := named.ReadMessage(2 * time.Second); err != nil || string(m.Type()) != "status" {
		t.Fatalf("named client: %v, %v", m, err)
	}
	if m, err := named.ReadMessage(2 * time.Second); err != nil || string(m.Value("st")) != "join" {
		t.Fatalf("named client did not get its own to_id message: %v, %v", m, err)
	}
}

func TestDeliverAllocs(t *testing.T) {
	apitest.RequireRoot(t)
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	s := apitest.Start(t, withClients(apitest.NewBackend(), 8), api.Options{})
	rawClients(t, s, 8)
	m := statusMsg()
	var n float64
	s.Do(func() {
		s.Deliver(m, api.KeepIt) // warm the frame buffer
		n = testing.AllocsPerRun(500, func() { s.Deliver(m, api.KeepIt) })
	})
	if n != 0 {
		t.Errorf("Deliver to 8 clients: %v allocations, want 0", n)
	}
}

func BenchmarkDeliver(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(itoa(n)+"clients", func(b *testing.B) {
			apitest.RequireRoot(b)
			s := apitest.Start(b, withClients(apitest.NewBackend(), n), api.Options{IPC: ipc.Options{SendQLen: 1 << 16, MaxQueueBytes: 64 << 20, MaxConns: n + 1, MaxUnsigned: n + 1}})
			rawClients(b, s, n)
			m := statusMsg()
			b.ReportAllocs()
			s.Do(func() {
				s.Deliver(m, api.KeepIt)
				b.ResetTimer()
				for b.Loop() {
					s.Deliver(m, api.KeepIt)
				}
			})
		})
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}
