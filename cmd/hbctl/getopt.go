package main

import (
	"fmt"
	"io"
	"strings"
)

// getopter parses arguments as glibc's getopt(3) does for cl_status,
// which passes its sub-command as argv[0]: options may follow operands
// (GNU permutes them to the front) unless POSIXLY_CORRECT is set, "--" ends
// options, and each error is printed to stderr under the sub-command's
// name when next reaches it, then returned as '?'.
type getopter struct {
	args      []string
	optstring string
	posix     bool
	stderr    io.Writer

	i, j     int // next argument, next letter within it
	operands []string
	done     bool
}

func newGetopt(args []string, optstring string, posix bool, stderr io.Writer) *getopter {
	return &getopter{args: args, optstring: optstring, posix: posix, stderr: stderr, i: 1}
}

// next returns the next option letter and its argument; ok is false once
// the options are exhausted.
func (g *getopter) next() (c byte, arg string, ok bool) {
	for !g.done {
		if g.j == 0 {
			if g.i >= len(g.args) {
				g.done = true
				break
			}
			a := g.args[g.i]
			if a == "--" {
				g.operands = append(g.operands, g.args[g.i+1:]...)
				g.done = true
				break
			}
			if len(a) < 2 || a[0] != '-' {
				if g.posix {
					g.operands = append(g.operands, g.args[g.i:]...)
					g.done = true
					break
				}
				g.operands = append(g.operands, a)
				g.i++
				continue
			}
			g.j = 1
		}
		a := g.args[g.i]
		c = a[g.j]
		g.j++
		last := g.j >= len(a)
		k := strings.IndexByte(g.optstring, c)
		if k < 0 || c == ':' {
			fmt.Fprintf(g.stderr, "%s: invalid option -- '%c'\n", g.args[0], c)
			g.advance(last)
			return '?', "", true
		}
		if k+1 < len(g.optstring) && g.optstring[k+1] == ':' {
			switch {
			case !last:
				arg = a[g.j:]
			case g.i+1 < len(g.args):
				g.i++
				arg = g.args[g.i]
			default:
				fmt.Fprintf(g.stderr, "%s: option requires an argument -- '%c'\n", g.args[0], c)
				g.advance(true)
				return '?', "", true
			}
			g.advance(true)
			return c, arg, true
		}
		g.advance(last)
		return c, "", true
	}
	return 0, "", false
}

func (g *getopter) advance(nextArg bool) {
	if nextArg {
		g.i++
		g.j = 0
	}
}

// rest finishes the scan (without reporting further errors, as cl_status
// stops calling getopt) and returns the operands, in order.
func (g *getopter) rest() []string {
	if !g.done {
		g.stderr = io.Discard
		for {
			if _, _, ok := g.next(); !ok {
				break
			}
		}
	}
	return g.operands
}
