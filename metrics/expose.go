package metrics

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// The series types. Each is written by one goroutine (the loop) and read by
// scrapes at any time: values are float64 bits in atomics, so neither side
// waits for the other and the loop side allocates nothing.

// gauge is a value that goes up and down.
type gauge struct{ bits atomic.Uint64 }

func (g *gauge) Set(v float64)  { g.bits.Store(math.Float64bits(v)) }
func (g *gauge) value() float64 { return math.Float64frombits(g.bits.Load()) }

// counter only grows. Add is for the one writer (load, add, store).
type counter struct{ bits atomic.Uint64 }

func (c *counter) Add(v float64) {
	c.bits.Store(math.Float64bits(math.Float64frombits(c.bits.Load()) + v))
}
func (c *counter) Inc()           { c.Add(1) }
func (c *counter) value() float64 { return math.Float64frombits(c.bits.Load()) }

// histogram counts observations per bucket (not cumulated: one add per
// observation). A scrape sums them, and takes the count from the same sum,
// so count and buckets always agree.
type histogram struct {
	upper   []float64       // bucket upper bounds, ascending; +Inf implied
	buckets []atomic.Uint64 // len(upper)+1
	sum     counter
}

func newHistogram(upper []float64) *histogram {
	return &histogram{upper: upper, buckets: make([]atomic.Uint64, len(upper)+1)}
}

func (h *histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(h.upper, v) // first bound ≥ v: buckets are le
	h.buckets[i].Add(1)
	h.sum.Add(v)
}

// Metric types, as the exposition names them.
const (
	typeGauge     = "gauge"
	typeCounter   = "counter"
	typeHistogram = "histogram"
)

// family is one metric name: its help, type, label names and series.
type family struct {
	name, help, typ string
	labels          []string
	order           []int // label indexes by name: written sorted, as Prometheus' client does
	series          []series
}

func newFamily(name, help, typ string, labels []string) *family {
	f := &family{name: name, help: help, typ: typ, labels: labels, order: make([]int, len(labels))}
	for i := range f.order {
		f.order[i] = i
	}
	slices.SortFunc(f.order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return f
}

// series is one set of label values and its value.
type series struct {
	values []string
	g      *gauge
	c      *counter
	h      *histogram
}

// registry holds the families of one node and the functions that produce
// families at scrape time (the runtime's, the filter's).
type registry struct {
	fams    []*family
	collect []func(add addFunc)
}

func (r *registry) family(name, help, typ string, labels ...string) *family {
	f := newFamily(name, help, typ, labels)
	r.fams = append(r.fams, f)
	return f
}

func (f *family) gauge(values ...string) *gauge {
	g := new(gauge)
	f.series = append(f.series, series{values: values, g: g})
	return g
}

func (f *family) counter(values ...string) *counter {
	c := new(counter)
	f.series = append(f.series, series{values: values, c: c})
	return c
}

func (f *family) histogram(upper []float64, values ...string) *histogram {
	h := newHistogram(upper)
	f.series = append(f.series, series{values: values, h: h})
	return h
}

// addFunc is how a scrape-time source reports one sample of a family:
// the family is made on its first sample (its labels are that sample's).
type addFunc = func(name, help, typ string, labels, values []string, v float64)

// write writes every family in the Prometheus text exposition format
// (version 0.0.4), sorted by name.
func (r *registry) write(w io.Writer) error {
	fams := slices.Clone(r.fams)
	made := map[string]*family{}
	for _, c := range r.collect {
		c(func(name, help, typ string, labels, values []string, v float64) {
			f := made[name]
			if f == nil {
				f = newFamily(name, help, typ, labels)
				made[name] = f
				fams = append(fams, f)
			}
			f.gauge(values...).Set(v)
		})
	}
	slices.SortStableFunc(fams, func(a, b *family) int { return strings.Compare(a.name, b.name) })

	bw := bufio.NewWriter(w)
	var buf []byte
	for _, f := range fams {
		buf = append(buf[:0], "# HELP "...)
		buf = append(buf, f.name...)
		buf = append(buf, ' ')
		buf = appendEscaped(buf, f.help, false)
		buf = append(buf, "\n# TYPE "...)
		buf = append(buf, f.name...)
		buf = append(buf, ' ')
		buf = append(buf, f.typ...)
		buf = append(buf, '\n')
		for _, s := range f.series {
			switch {
			case s.h != nil:
				var cum uint64
				for i := range s.h.buckets {
					cum += s.h.buckets[i].Load()
					le := math.Inf(1)
					if i < len(s.h.upper) {
						le = s.h.upper[i]
					}
					buf = appendLine(buf, f.name+"_bucket", f, s.values, "le", formatFloat(le), float64(cum))
				}
				buf = appendLine(buf, f.name+"_sum", f, s.values, "", "", s.h.sum.value())
				buf = appendLine(buf, f.name+"_count", f, s.values, "", "", float64(cum))
			case s.c != nil:
				buf = appendLine(buf, f.name, f, s.values, "", "", s.c.value())
			default:
				buf = appendLine(buf, f.name, f, s.values, "", "", s.g.value())
			}
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendLine appends `name{labels} value`, f's labels sorted by name;
// extra is one more label, last (le).
func appendLine(buf []byte, name string, f *family, values []string, extra, extraValue string, v float64) []byte {
	buf = append(buf, name...)
	if len(f.labels) > 0 || extra != "" {
		buf = append(buf, '{')
		for k, i := range f.order {
			if k > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, f.labels[i]...)
			buf = append(buf, `="`...)
			if i < len(values) {
				buf = appendEscaped(buf, values[i], true)
			}
			buf = append(buf, '"')
		}
		if extra != "" {
			if len(f.labels) > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, extra...)
			buf = append(buf, `="`...)
			buf = append(buf, extraValue...)
			buf = append(buf, '"')
		}
		buf = append(buf, '}')
	}
	buf = append(buf, ' ')
	buf = append(buf, formatFloat(v)...)
	return append(buf, '\n')
}

// appendEscaped escapes as the text format asks: backslash and newline in
// help text, and double quotes as well in label values.
func appendEscaped(buf []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			buf = append(buf, `\\`...)
		case c == '\n':
			buf = append(buf, `\n`...)
		case c == '"' && quote:
			buf = append(buf, `\"`...)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
