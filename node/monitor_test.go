package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hbd-ha/hbd/rsc/lrm"
)

// The restart policy: N restarts within the window, then give up; old
// restarts leave the window; N = 0 gives up at the first failure.
func TestRestartPolicy(t *testing.T) {
	s := int64(time.Second)
	for _, tc := range []struct {
		name     string
		limit    int
		window   int64
		failures []int64 // times of the failures
		want     string  // r: restart, g: give up
	}{
		{"three then give up", 3, 600 * s, []int64{0, 10 * s, 20 * s, 30 * s}, "rrrg"},
		{"zero gives up at once", 0, 600 * s, []int64{0, 1 * s}, "gg"},
		{"old restarts leave the window", 2, 60 * s, []int64{0, 10 * s, 61 * s, 71 * s, 72 * s}, "rrrrg"},
		{"exactly a window later is outside it", 1, 60 * s, []int64{0, 60 * s, 119 * s}, "rrg"},
		{"after a give-up the count stays", 1, 60 * s, []int64{0, 1 * s, 2 * s, 61 * s}, "rggr"},
	} {
		p := restartPolicy{limit: tc.limit, window: tc.window}
		var times []int64
		var got strings.Builder
		for _, at := range tc.failures {
			if p.decide(&times, at) {
				got.WriteByte('r')
			} else {
				got.WriteByte('g')
			}
		}
		if got.String() != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got.String(), tc.want)
		}
		if len(times) > tc.limit {
			t.Errorf("%s: %d restarts kept, limit %d", tc.name, len(times), tc.limit)
		}
	}
}

// A restart in place: the failed resource and those after it, stopped
// right to left, then started left to right; those before it untouched.
func TestRestartOrder(t *testing.T) {
	for _, tc := range []struct {
		n, failed int
		want      string
	}{
		{1, 0, "stop0 start0"},
		{3, 0, "stop2 stop1 stop0 start0 start1 start2"},
		{3, 1, "stop2 stop1 start1 start2"},
		{3, 2, "stop2 start2"},
	} {
		var got []string
		for _, s := range restartOrder(tc.n, tc.failed) {
			got = append(got, fmt.Sprintf("%s%d", s.op, s.index))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("group of %d, resource %d failed: %s, want %s", tc.n, tc.failed, strings.Join(got, " "), tc.want)
		}
	}
}

// A failure's log line names the rc, how the run ended and what the
// agent printed.
func TestDescribeResult(t *testing.T) {
	for _, tc := range []struct {
		r    lrm.Result
		want string
	}{
		{lrm.Result{RC: 7, ExitCode: 0, Status: lrm.StatusDone, Output: "websvc is stopped\n"}, `rc=7 exit code 0, output: "websvc is stopped"`},
		{lrm.Result{RC: 1, ExitCode: -1, Status: lrm.StatusTimeout, Reason: "timed out after 1s"}, `rc=1 (timed out) timed out after 1s, output: ""`},
		{lrm.Result{RC: 1, ExitCode: 1, Status: lrm.StatusDone, Output: strings.Repeat("x", 300)}, `rc=1, output: "` + strings.Repeat("x", 256) + `…"`},
	} {
		if got := describe(&tc.r); got != tc.want {
			t.Errorf("describe = %s, want %s", got, tc.want)
		}
	}
}
