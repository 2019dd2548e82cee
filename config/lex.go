package config

import "strings"

// maxLine is cluster-glue's MAXLINE: heartbeat reads its files with
// fgets(buf, MAXLINE, f) (haresources with MAXLINE-1), so a longer line is
// seen as several lines.
const maxLine = 5120

// lineReader yields a file's lines the way heartbeat's fgets loops see them:
// at most size-1 bytes at a time, the newline kept, and the text cut at the
// first NUL (C strings end there). A physical line read in several pieces
// keeps its line number.
type lineReader struct {
	data string
	pos  int
	num  int  // line number of the last piece returned
	nl   bool // the last piece ended a physical line
	size int
}

func newLineReader(data string, size int) *lineReader {
	return &lineReader{data: data, size: size, nl: true}
}

// next returns the next piece and its 1-based line number.
func (r *lineReader) next() (text string, num int, ok bool) {
	if r.pos >= len(r.data) {
		return "", 0, false
	}
	rest := r.data[r.pos:]
	n := r.size - 1
	if n > len(rest) {
		n = len(rest)
	}
	if i := strings.IndexByte(rest[:n], '\n'); i >= 0 {
		n = i + 1
	}
	text = rest[:n]
	r.pos += n
	if r.nl {
		r.num++
	}
	r.nl = strings.HasSuffix(text, "\n")
	if i := strings.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	return text, r.num, true
}
