package metrics

import (
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"syscall"
)

// The runtime's and the process's own figures, read at scrape time under
// the names Prometheus' Go and process collectors use, so dashboards made
// for any Go program work. runtime/metrics is read rather than
// ReadMemStats, which stops the world (and with it the loop).

var runtimeSamples = []struct {
	key, name, help, typ string
}{
	{"/sched/goroutines:goroutines", "go_goroutines", "Number of goroutines that currently exist.", typeGauge},
	{"/memory/classes/heap/objects:bytes", "go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and still in use.", typeGauge},
	{"/memory/classes/total:bytes", "go_memstats_sys_bytes", "Number of bytes obtained from system.", typeGauge},
	{"/gc/heap/allocs:bytes", "go_memstats_alloc_bytes_total", "Total number of bytes allocated, even if freed.", typeCounter},
	{"/gc/cycles/total:gc-cycles", "go_gc_cycles_total", "Number of completed GC cycles.", typeCounter},
}

var versionLabel = []string{"version"}

func collectRuntime(add addFunc) {
	s := make([]metrics.Sample, len(runtimeSamples))
	for i := range runtimeSamples {
		s[i].Name = runtimeSamples[i].key
	}
	metrics.Read(s)
	for i, r := range runtimeSamples {
		var v float64
		switch s[i].Value.Kind() {
		case metrics.KindUint64:
			v = float64(s[i].Value.Uint64())
		case metrics.KindFloat64:
			v = s[i].Value.Float64()
		default:
			continue // not in this Go version
		}
		add(r.name, r.help, r.typ, nil, nil, v)
	}
	add("go_info", "Information about the Go environment.", typeGauge, versionLabel, []string{runtime.Version()}, 1)
}

// clockTicks is USER_HZ, the unit of /proc/self/stat's times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

func collectProcess(add addFunc) {
	if st, err := os.ReadFile("/proc/self/stat"); err == nil {
		// Fields after the command's closing parenthesis, from field 3.
		if i := bytes.LastIndexByte(st, ')'); i >= 0 {
			f := bytes.Fields(st[i+1:])
			num := func(field int) float64 { // field as proc(5) numbers them
				if k := field - 3; k < len(f) {
					v, _ := strconv.ParseFloat(string(f[k]), 64)
					return v
				}
				return 0
			}
			add("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", typeCounter, nil, nil, (num(14)+num(15))/clockTicks)
			add("process_virtual_memory_bytes", "Virtual memory size in bytes.", typeGauge, nil, nil, num(23))
			add("process_resident_memory_bytes", "Resident memory size in bytes.", typeGauge, nil, nil, num(24)*float64(os.Getpagesize()))
			if boot := bootTime(); boot > 0 {
				add("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", typeGauge, nil, nil, boot+num(22)/clockTicks)
			}
		}
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		add("process_open_fds", "Number of open file descriptors.", typeGauge, nil, nil, float64(len(fds)))
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		add("process_max_fds", "Maximum number of open file descriptors.", typeGauge, nil, nil, float64(lim.Cur))
	}
}

// bootTime is the btime line of /proc/stat (seconds since the epoch).
func bootTime() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			n, _ := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
			return n
		}
	}
	return 0
}
