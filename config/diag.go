package config

import (
	"strconv"
	"strings"
)

// Level is the priority heartbeat logs a message at.
type Level int

// Levels, lowest first. Their String forms are the words heartbeat prints.
const (
	LevelDebug Level = iota
	LevelInfo
	LevelNotice
	LevelWarn
	LevelError
	LevelCrit
)

func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelNotice:
		return "notice"
	case LevelWarn:
		return "WARN"
	case LevelError:
		return "ERROR"
	case LevelCrit:
		return "CRIT"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// A Diagnostic is one line heartbeat 3.0.6 prints while reading its
// configuration, tied to the file and line it is about.
type Diagnostic struct {
	// File is the path as heartbeat prints it ("/etc/ha.d//ha.cf"); empty
	// for heartbeat's summary lines, which are about no file.
	File string
	// Line is the 1-based line number, 0 when the message concerns the
	// whole file (for example "No heartbeat media defined").
	Line  int
	Level Level
	// Msg is heartbeat's wording, verbatim (its typos included).
	Msg string
	// Fatal marks a line that reports why heartbeat refuses to start.
	// Heartbeat's level does not say this: "Auth method [crc] doesn't use a
	// key" is logged at info yet is fatal.
	Fatal bool
	// Hbd marks wording of hbd's own, used where heartbeat 3.0.6 fails
	// without saying why (or crashes).
	Hbd bool
	// Err is the underlying cause, when there is one (a failed read).
	Err error
}

// String formats d as "<file>:<line>: <msg>", "<file>: <msg>" when there is
// no line, or just the message when there is no file.
func (d Diagnostic) String() string {
	switch {
	case d.File == "":
		return d.Msg
	case d.Line == 0:
		return d.File + ": " + d.Msg
	}
	return d.File + ":" + strconv.Itoa(d.Line) + ": " + d.Msg
}

// Error makes a Diagnostic usable as an error.
func (d Diagnostic) Error() string { return d.String() }

// Unwrap returns the underlying cause, if any.
func (d Diagnostic) Unwrap() error { return d.Err }

// Diagnostics is what a parse printed, in heartbeat's order. As an error it
// holds the fatal diagnostics; errors.As(err, &d) with a Diagnostic d finds
// the first of them.
type Diagnostics []Diagnostic

// Error joins the diagnostics one per line.
func (ds Diagnostics) Error() string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// Unwrap exposes each diagnostic to errors.Is and errors.As.
func (ds Diagnostics) Unwrap() []error {
	errs := make([]error, len(ds))
	for i, d := range ds {
		errs[i] = d
	}
	return errs
}

// Fatal returns the fatal diagnostics that name a file: the ones a caller
// should show as the reason for refusing the configuration.
func (ds Diagnostics) Fatal() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Fatal && d.File != "" {
			out = append(out, d)
		}
	}
	return out
}

// err returns ds.Fatal() as an error, or nil when nothing is fatal.
func (ds Diagnostics) err() error {
	if f := ds.Fatal(); len(f) > 0 {
		return f
	}
	return nil
}
