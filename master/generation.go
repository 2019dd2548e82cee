package master

import (
	"fmt"
	"github.com/hbd-ha/hbd/internal/prio"
	"strconv"
)

// GenerationFileLen is the size of heartbeat's hb_generation file: the
// generation right-aligned in 15 columns, then a newline (printf
// "%15lu\n").
const GenerationFileLen = 16

// AppendGeneration appends gen in the hb_generation file format.
func AppendGeneration(dst []byte, gen uint64) []byte {
	var num [20]byte
	s := strconv.AppendUint(num[:0], gen, 10)
	for i := len(s); i < GenerationFileLen-1; i++ {
		dst = append(dst, ' ')
	}
	dst = append(dst, s...)
	return append(dst, '\n')
}

// ParseGeneration reads an hb_generation file as heartbeat does (sscanf
// "%lu" over its first 16 bytes): leading white space, an optional plus
// sign, digits. It fails when there are no digits.
func ParseGeneration(b []byte) (uint64, bool) {
	if len(b) > GenerationFileLen {
		b = b[:GenerationFileLen]
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	if i < len(b) && b[i] == '+' {
		i++
	}
	j := i
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	v, err := strconv.ParseUint(string(b[i:j]), 10, 64)
	return v, err == nil
}

// NextGeneration is heartbeat's IncrGeneration (hbgenmethod file): given
// the hb_generation file's content (found false when it is missing or
// empty) and the wall clock, it returns the generation for this start,
// the bytes to write back (synchronously) and the log lines heartbeat
// writes. A missing file starts at time+1, an unreadable one at 1.
func NextGeneration(file []byte, found bool, wall int64) (gen uint64, write []byte, logs []LogLine) {
	if !found || len(file) == 0 {
		gen = uint64(wall) + 1
		logs = append(logs, LogLine{Prio: prio.Warn, Text: fmt.Appendf(nil, "No Previous generation - starting at %d", gen)})
	} else if v, ok := ParseGeneration(file); ok {
		gen = v + 1
	} else {
		// Heartbeat's message names time+1, but it then starts from 0.
		logs = append(logs, LogLine{Prio: prio.Warn, Text: fmt.Appendf(nil, "BROKEN previous generation - starting at %d", wall+1)})
		gen = 1
	}
	logs = append(logs, LogLine{Prio: prio.Info, Text: fmt.Appendf(nil, "Heartbeat generation: %d", gen)})
	return gen, AppendGeneration(nil, gen), logs
}

// TimeGeneration is the generation for hbgenmethod time: the wall clock.
func TimeGeneration(wall int64) (uint64, []LogLine) {
	gen := uint64(wall)
	return gen, []LogLine{{Prio: prio.Info, Text: fmt.Appendf(nil, "Heartbeat generation: %d", gen)}}
}
