package cli

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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

	want := []string{
		`psad_log_lines_total{input="file",result="parsed"} 20`,
		`psad_log_lines_total{input="file",result="malformed"} 1`,
		`psad_log_lines_total{input="file",result="forged"} 1`,
		`psad_packets_total{proto="tcp"} 20`,
		`psad_sources{danger_level="3"} 1`, // 20 SYNs, and a DL 3 signature (ports 1011-1015)
		`psad_up 1`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	}
	var body string
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		missing := ""
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the metrics after 5 s:\n%s", missing, body)
		}
		time.Sleep(20 * time.Millisecond) // the lines are read as they arrive
	}
	if !strings.Contains(body, `psad_input_lag_seconds{input="file"}`) {
		t.Errorf("no input lag:\n%s", body)
	}
}
