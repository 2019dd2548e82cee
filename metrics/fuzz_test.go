package metrics

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzReadHead: whatever a client sends, readHead returns without
// panicking, within maxHead bytes; what it accepts is a request line of
// three fields ending a head, and the method and path it returns read back
// the same from a request written with them.
func FuzzReadHead(f *testing.F) {
	for _, s := range []string{
		"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n",
		"HEAD / HTTP/1.0\n\n",
		"GET /metrics?x=1 HTTP/1.1\r\n\r\n",
		"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
		"GET /metrics HTTP/2\r\n\r\n",
		"hello\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nX: " + strings.Repeat("a", 2000) + "\r\n\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bytes.NewReader(data)
		r := bufio.NewReaderSize(br, 1024) // as serve reads
		method, path, ok := readHead(r)
		if !ok {
			if method != "" || path != "" {
				t.Fatalf("refused head gave %q %q", method, path)
			}
			return
		}
		used := len(data) - br.Len() - r.Buffered()
		if used > maxHead {
			t.Fatalf("accepted a head of %d bytes", used)
		}
		if head := data[:used]; !bytes.HasSuffix(head, []byte("\n\n")) && !bytes.HasSuffix(head, []byte("\n\r\n")) {
			t.Fatalf("accepted %q: no blank line ends it", head)
		}
		if method == "" || !strings.HasPrefix(path, "/") || strings.ContainsAny(method+path, " \t\r\n") || strings.Contains(path, "?") {
			t.Fatalf("accepted %q: method %q path %q", data, method, path)
		}
		again := "\r\n" // bytes.Fields also splits on \v, \f and Unicode spaces
		m2, p2, ok2 := readHead(bufio.NewReader(strings.NewReader(method + " " + path + " HTTP/1.1" + again + again)))
		if !ok2 || m2 != method || p2 != path {
			t.Fatalf("%q %q read back as %q %q %v", method, path, m2, p2, ok2)
		}
	})
}
