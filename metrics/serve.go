package metrics

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// The endpoint speaks just enough HTTP/1.1 for a scraper: GET /metrics and
// GET /, one request per connection (Connection: close). net/http would
// cost the daemon 1.3 MB of resident memory whether metrics are on or not.
//
// Limits: a scraper that stalls is cut off, a request head is at most
// maxHead bytes, and only maxScrapes connections are served at once (more
// get 503).
const (
	readTimeout  = 5 * time.Second
	writeTimeout = 30 * time.Second
	maxHead      = 8 << 10
	maxScrapes   = 4
	stopGrace    = 2 * time.Second
)

type server struct {
	m     *Metrics
	ln    net.Listener
	slots chan struct{}
	wg    sync.WaitGroup // the accept loop and the connections
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	once  sync.Once
	err   error
}

// Serve listens on addr (host:port; port 0 picks a free one, see Addr) and
// serves /metrics in goroutines until stop is called. It fails at once if
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
	s := &server{m: m, ln: ln, slots: make(chan struct{}, maxScrapes), conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	m.server = s
	return func() error { return m.stop(s) }, nil
}

func (s *server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed by stop
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

// serve answers one request on c and closes it.
func (s *server) serve(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()
	c.SetReadDeadline(time.Now().Add(readTimeout))
	method, path, ok := readHead(bufio.NewReaderSize(c, 1024))
	c.SetWriteDeadline(time.Now().Add(writeTimeout))
	w := bufio.NewWriter(c)
	defer w.Flush()
	switch {
	case !ok:
		respond(w, 400, "text/plain", []byte("bad request\n"))
	case path != "/metrics" && path != "/":
		respond(w, 404, "text/plain", []byte("404 page not found\n"))
	case method != "GET" && method != "HEAD":
		respond(w, 405, "text/plain", []byte("method not allowed\n"))
	case path == "/":
		respond(w, 200, "text/plain; charset=utf-8", []byte("hbd: metrics at /metrics\n"))
	default:
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		default:
			respond(w, 503, "text/plain", []byte(fmt.Sprintf("hbd: more than %d scrapes at once\n", maxScrapes)))
			return
		}
		var body bytes.Buffer
		s.m.reg.write(&body)
		if method == "HEAD" {
			body.Reset()
		}
		respond(w, 200, "text/plain; version=0.0.4; charset=utf-8", body.Bytes())
	}
}

// readHead reads a request line and headers (discarded) up to the blank
// line, at most maxHead bytes.
func readHead(r *bufio.Reader) (method, path string, ok bool) {
	n := 0
	for first := true; ; first = false {
		line, err := r.ReadSlice('\n')
		n += len(line)
		if err != nil || n > maxHead {
			return "", "", false
		}
		line = bytes.TrimRight(line, "\r\n")
		if first {
			f := bytes.Fields(line)
			if len(f) != 3 || !bytes.HasPrefix(f[2], []byte("HTTP/1.")) {
				return "", "", false
			}
			method, path = string(f[0]), string(f[1])
			if i := bytes.IndexByte(f[1], '?'); i >= 0 {
				path = string(f[1][:i])
			}
			continue
		}
		if len(line) == 0 {
			return method, path, true
		}
	}
}

var statusText = map[int]string{200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}

func respond(w *bufio.Writer, code int, ctype string, body []byte) {
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		code, statusText[code], ctype, len(body))
	w.Write(body)
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

// stop closes the listener, lets scrapes in progress finish for a moment,
// then closes what is left and waits for every goroutine. Calling it again
// returns the same.
func (m *Metrics) stop(s *server) error {
	s.once.Do(func() {
		if err := s.ln.Close(); err != nil {
			s.err = fmt.Errorf("metrics: stop: %w", err)
		}
		done := make(chan struct{})
		go func() { s.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(stopGrace):
			s.mu.Lock()
			for c := range s.conns {
				c.Close()
			}
			s.mu.Unlock()
			<-done
		}
		m.mu.Lock()
		m.server = nil
		m.mu.Unlock()
	})
	return s.err
}
