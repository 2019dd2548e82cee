package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits of the HTTP side: a scraper that stalls is cut off, and only a
// few scrapes run at once.
const (
	readHeaderTimeout = 5 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxScrapes        = 4
	stopGrace         = 2 * time.Second
)

type server struct {
	ln   net.Listener
	srv  *http.Server
	done chan error // Serve's result
	once sync.Once
	err  error
}

// Serve listens on addr (host:port; port 0 picks a free one, see Addr) and
// serves /metrics in a goroutine until stop is called. It fails at once if
// the address cannot be listened on, and if the metrics are already served.
func (m *Metrics) Serve(addr string) (stop func() error, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.server != nil {
		return nil, fmt.Errorf("metrics: already serving on %s", m.server.ln.Addr())
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	scrapes := make(chan struct{}, maxScrapes)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case scrapes <- struct{}{}:
			defer func() { <-scrapes }()
		default:
			http.Error(w, fmt.Sprintf("hbd: more than %d scrapes at once", maxScrapes), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		m.reg.write(w) // an error is the scraper's connection gone
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "hbd: metrics at /metrics\n")
	})
	s := &server{
		ln: ln,
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: readHeaderTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			// A scraper's broken connection is no news for hbd's log.
			ErrorLog: log.New(io.Discard, "", 0),
		},
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	m.server = s
	return func() error { return m.stop(s) }, nil
}

// Addr is the address being listened on ("" when not serving): with port
// 0 given to Serve, the port the kernel chose.
func (m *Metrics) Addr() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.server == nil {
		return ""
	}
	return m.server.ln.Addr().String()
}

// stop shuts the server down, letting scrapes in progress finish for a
// moment, and waits for its goroutine. Calling it again returns the same.
func (m *Metrics) stop(s *server) error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		if err != nil {
			err = errors.Join(err, s.srv.Close())
		}
		if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		if err != nil {
			s.err = fmt.Errorf("metrics: stop: %w", err)
		}
		m.mu.Lock()
		m.server = nil
		m.mu.Unlock()
	})
	return s.err
}
