package metrics

import (
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serve starts m's endpoint on a free loopback port for the test.
func serve(t *testing.T, m *Metrics) {
	t.Helper()
	stop, err := m.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
}

// scraped is one scrape of /metrics, parsed from the text exposition.
type scraped map[string]*dto.MetricFamily

func scrape(t *testing.T, m *Metrics) scraped {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+m.Addr()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape: %s: %s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	return fams
}

// series finds the series of family name whose labels are exactly labels
// ("k=v" pairs, in any order).
func (s scraped) series(t *testing.T, name string, labels ...string) *dto.Metric {
	t.Helper()
	f, ok := s[name]
	if !ok {
		t.Fatalf("no family %s in the scrape", name)
	}
	sort.Strings(labels)
	want := strings.Join(labels, ",")
	var seen []string
	for _, m := range f.GetMetric() {
		var got []string
		for _, l := range m.GetLabel() {
			got = append(got, l.GetName()+"="+l.GetValue())
		}
		sort.Strings(got)
		if strings.Join(got, ",") == want {
			return m
		}
		seen = append(seen, strings.Join(got, ","))
	}
	t.Fatalf("%s{%s} not in the scrape; it has %q", name, want, seen)
	return nil
}

// value is a gauge's or counter's value.
func (s scraped) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	m := s.series(t, name, labels...)
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	t.Fatalf("%s{%v} is neither gauge nor counter", name, labels)
	return 0
}

func (s scraped) histogram(t *testing.T, name string, labels ...string) *dto.Histogram {
	t.Helper()
	h := s.series(t, name, labels...).GetHistogram()
	if h == nil {
		t.Fatalf("%s{%v} is not a histogram", name, labels)
	}
	return h
}

// oneHot checks that family name's series for the fixed labels have 1 at
// label key=hot and 0 for every other value in values.
func (s scraped) oneHot(t *testing.T, name, key, hot string, values []string, fixed ...string) {
	t.Helper()
	for _, v := range values {
		want := 0.0
		if v == hot {
			want = 1
		}
		if got := s.value(t, name, append([]string{key + "=" + v}, fixed...)...); got != want {
			t.Errorf("%s{%s=%s,%v} = %v, want %v", name, key, v, fixed, got, want)
		}
	}
}

// bucketCount is the cumulative count of the bucket with upper bound le.
func bucketCount(t *testing.T, h *dto.Histogram, le float64) uint64 {
	t.Helper()
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount()
		}
	}
	t.Fatalf("no bucket le=%v", le)
	return 0
}
