package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestServe scrapes a real server on loopback and checks every family
// and the up gauge, which says 0 when the daemon does not answer.
func TestServe(t *testing.T) {
	var fail bool
	c := NewCollector(func(ctx context.Context) (*Snapshot, error) {
		if fail {
			return nil, errors.New("daemon busy")
		}
		return &Snapshot{
			Lines:        []Count{{[2]string{"file", "parsed"}, 7}},
			Packets:      map[string]float64{"udp": 3},
			Sources:      [6]int{0, 2},
			Alerts:       []Count{{[2]string{"mail", "sent"}, 1}},
			BlocksActive: map[string]int{"nftables": 4},
			BlockActions: []Count{{[2]string{"nftables", "add"}, 5}},
			InputLag:     map[string]float64{"file": 0.5},
		}, nil
	})
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, Handler(c, nil)) }()
	get := func() string {
		resp, err := http.Get("http://" + l.Addr().String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	body := get()
	for _, w := range []string{`psad_log_lines_total{input="file",result="parsed"} 7`, `psad_packets_total{proto="udp"} 3`,
		`psad_sources{danger_level="1"} 2`, `psad_alerts_total{method="mail",result="sent"} 1`,
		`psad_blocks_active{backend="nftables"} 4`, `psad_block_actions_total{action="add",backend="nftables"} 5`,
		`psad_input_lag_seconds{input="file"} 0.5`, "psad_up 1", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(body, w) {
			t.Errorf("no %q in:\n%s", w, body)
		}
	}
	fail = true
	if body := get(); !strings.Contains(body, "psad_up 0") || strings.Contains(body, "psad_sources") {
		t.Errorf("a failed snapshot:\n%s", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestDashboardQueriesUseExportedNames keeps dist/grafana-psad.json in
// step with the metrics: every psad_ name a query uses is exported, and
// every exported name is on the dashboard.
func TestDashboardQueriesUseExportedNames(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "dist", "grafana-psad.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	name := regexp.MustCompile(`\bpsad_[a-z_]+\b`)
	for _, p := range dash.Panels {
		for _, q := range p.Targets {
			for _, n := range name.FindAllString(q.Expr, -1) {
				used[n] = true
				if !slices.Contains(Names, n) {
					t.Errorf("panel %q queries %s, which psad-go does not export", p.Title, n)
				}
			}
		}
	}
	for _, n := range Names {
		if !used[n] {
			t.Errorf("%s is exported but on no panel", n)
		}
	}
}
