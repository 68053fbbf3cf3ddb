package cli

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches /metrics and parses it with Prometheus's own parser of
// the text exposition format, as a Prometheus server would.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	must(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return fams
}

// sample is the value of the series of name with exactly these labels,
// and whether it exists.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(want) {
			continue
		}
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// TestMetricsEndpoint: with METRICS_ADDRESS the daemon serves Prometheus
// metrics whose values follow what it read: lines by result, packets by
// protocol, sources by danger level, plus the Go and process collectors.
func TestMetricsEndpoint(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, nil, 0o600))
	addr := freePort(t, "tcp")
	e := newTestEnv(t, map[string]string{"IPT_SYSLOG_FILE": logPath, "ALERTING_METHODS": "noemail,nosyslog",
		"METRICS_ADDRESS": addr}, "")
	startDaemon(t, e.conf, Env{})
	lines := scanLines("10.4.4.4", 20)
	lines = append(lines, "Mar 11 20:35:11 fw kernel: DROP IN=eth0 OUT= SRC=10.4.4.5 DST=192.168.10.1 LEN=44 TOS=zz PROTO=TCP SPT=1 DPT=2 SYN \n")
	lines = append(lines, strings.Replace(scanLines("10.4.4.6", 1)[0], " kernel: ", " logger: ", 1))
	appendLines(t, logPath, lines...)

	type want struct {
		name   string
		labels []string
		value  float64
	}
	wants := []want{
		{"psad_log_lines_total", []string{"input", "file", "result", "parsed"}, 20},
		{"psad_log_lines_total", []string{"input", "file", "result", "malformed"}, 1},
		{"psad_log_lines_total", []string{"input", "file", "result", "forged"}, 1},
		{"psad_packets_total", []string{"proto", "tcp"}, 20},
		{"psad_sources", []string{"danger_level", "3"}, 1}, // 20 SYNs, and a DL 3 signature (ports 1011-1015)
		{"psad_up", nil, 1},
	}
	var fams map[string]*dto.MetricFamily
	var missing string
	defer func() {
		if t.Failed() && missing != "" {
			t.Logf("last scrape: %s", missing)
		}
	}()
	// The lines are read as they arrive; poll as Prometheus would.
	waitFor(t, "the scan in the metrics", func() bool {
		fams = scrape(t, addr)
		for _, w := range wants {
			if v, ok := sample(fams, w.name, w.labels...); !ok || v != w.value {
				missing = fmt.Sprintf("%s%v = %v (present: %v), want %v", w.name, w.labels, v, ok, w.value)
				return false
			}
		}
		return true
	})
	types := map[string]dto.MetricType{"psad_log_lines_total": dto.MetricType_COUNTER, "psad_packets_total": dto.MetricType_COUNTER,
		"psad_sources": dto.MetricType_GAUGE, "psad_input_lag_seconds": dto.MetricType_GAUGE, "psad_up": dto.MetricType_GAUGE}
	for name, typ := range types {
		if f := fams[name]; f == nil || f.GetType() != typ || f.GetHelp() == "" {
			t.Errorf("%s: family %v, want type %v with help", name, f, typ)
		}
	}
	if _, ok := sample(fams, "psad_input_lag_seconds", "input", "file"); !ok {
		t.Errorf("no input lag for the file input")
	}
	// Every danger level is a series, so a dashboard sees zeros, not gaps.
	var levels []string
	for _, m := range fams["psad_sources"].GetMetric() {
		levels = append(levels, m.GetLabel()[0].GetValue())
	}
	slices.Sort(levels)
	if !slices.Equal(levels, []string{"0", "1", "2", "3", "4", "5"}) {
		t.Errorf("psad_sources levels %v", levels)
	}
	for _, n := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if fams[n] == nil {
			t.Errorf("no %s: the Go and process collectors are missing", n)
		}
	}
}
