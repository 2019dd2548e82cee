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
// maxHead bytes, at most maxConns connections are open at once (the accept
// loop takes a slot before it starts a goroutine; over the cap it closes
// the new connection at once, unanswered: a 503 could only be written
// before the request is read, and closing with the request unread resets
// the connection, losing the answer anyway), and of those only maxScrapes
// build an exposition at once (more get 503).
//
// An accept error other than the listener's closing (EMFILE, ENFILE,
// ENOBUFS, ECONNABORTED) does not end serving: the loop waits, doubling
// from minBackoff to maxBackoff, and tries again, as net/http does. One log
// line says it started and one that it recovered, whatever the number of
// errors in between.
const (
	readTimeout  = 5 * time.Second
	writeTimeout = 30 * time.Second
	maxHead      = 8 << 10
	maxConns     = 16
	maxScrapes   = 4
	stopGrace    = 2 * time.Second
	minBackoff   = 5 * time.Millisecond
	maxBackoff   = time.Second
)

type server struct {
	m     *Metrics
	ln    net.Listener
	log   func(string)   // never nil
	conns chan struct{}  // a slot per open connection
	slots chan struct{}  // a slot per scrape being built
	quit  chan struct{}  // closed by stop: ends a back-off wait
	wg    sync.WaitGroup // the accept loop and the connections
	mu    sync.Mutex
	open  map[net.Conn]struct{}
	once  sync.Once
	err   error
}

// SetLog sets where the endpoint reports trouble of its own (accept
// errors and the recovery from them); nil, the default, drops it. log is
// called from the endpoint's goroutine, so it must be safe for that. Call
// it before Serve.
func (m *Metrics) SetLog(log func(msg string)) {
	m.mu.Lock()
	m.log = log
	m.mu.Unlock()
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
	s := m.startLocked(ln)
	return func() error { return m.stop(s) }, nil
}

// startLocked serves on ln (a wrapped one in tests); m.mu is held.
func (m *Metrics) startLocked(ln net.Listener) *server {
	log := m.log
	if log == nil {
		log = func(string) {}
	}
	s := &server{m: m, ln: ln, log: log, conns: make(chan struct{}, maxConns), slots: make(chan struct{}, maxScrapes),
		quit: make(chan struct{}), open: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	m.server = s
	return s
}

func (s *server) accept() {
	defer s.wg.Done()
	var backoff time.Duration
	failed := 0
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return // closed by stop
			}
			if failed == 0 {
				s.log(fmt.Sprintf("metrics: accept: %v: retrying, waiting up to %v between tries", err, maxBackoff))
			}
			failed++
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.quit:
				t.Stop()
				return
			}
			continue
		}
		if failed > 0 {
			s.log(fmt.Sprintf("metrics: accepting again after %d failed accepts", failed))
			failed, backoff = 0, 0
		}
		select {
		case s.conns <- struct{}{}:
		default:
			c.Close() // over the cap: see the limits above
			continue
		}
		s.mu.Lock()
		s.open[c] = struct{}{}
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
		delete(s.open, c)
		s.mu.Unlock()
		<-s.conns
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
// line, at most maxHead bytes. The path it returns starts with "/" and has
// the query cut off.
func readHead(r *bufio.Reader) (method, path string, ok bool) {
	n := 0
	for first := true; ; first = false {
		line, err := r.ReadSlice('\n')
		n += len(line)
		if err != nil || n > maxHead {
			return "", "", false
		}
		// One LF, then one CR: a line of "\r\r\n" is not the blank line
		// that ends a head (HTTP's CRLF, or a bare LF).
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if first {
			f := bytes.Fields(line)
			// The target in origin form ("/path?query"), the only one a
			// scraper sends: nothing else names /metrics.
			if len(f) != 3 || !bytes.HasPrefix(f[1], []byte("/")) || !bytes.HasPrefix(f[2], []byte("HTTP/1.")) {
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
		close(s.quit)
		if err := s.ln.Close(); err != nil {
			s.err = fmt.Errorf("metrics: stop: %w", err)
		}
		done := make(chan struct{})
		go func() { s.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(stopGrace):
			s.mu.Lock()
			for c := range s.open {
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
