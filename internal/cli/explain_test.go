package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestExplainAnalysis runs -A --explain on the project's sample logs and
// compares the explanation with a golden file per case.
func TestExplainAnalysis(t *testing.T) {
	tests := []struct {
		name, log, addr, autoDL string
		settings                map[string]string
	}{
		{name: "syn-scan-dl3", log: "syn_scan_1000_1500.log", addr: "192.168.10.55"},
		{name: "signature-dl", log: "ms_sql_server_sig_match.log", addr: "192.168.10.55"},
		{name: "auto-dl", log: "syn_scan_1000_1500.log", addr: "192.168.10.55", autoDL: "192.168.10.0/24 5;\n"},
		{name: "below-min-dl", log: "syn_scan_1000_1500.log", addr: "192.168.10.55",
			settings: map[string]string{"MIN_DANGER_LEVEL": "4", "IGNORE_PORTS": "tcp/1000-1099", "ENABLE_AUTO_IDS": "Y",
				"AUTO_IDS_DANGER_LEVEL": "4"}},
		{name: "unknown", log: "syn_scan_1000_1500.log", addr: "10.9.9.9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, tc.settings, tc.autoDL)
			out, errs, code := e.run(t, "-A", "-m", filepath.Join(repoRoot, "testdata", "logs", tc.log), "--explain", tc.addr)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errs)
			}
			if !strings.Contains(errs, "[+] Entering analysis mode") {
				t.Errorf("progress lines should go to stderr with --explain; stderr:\n%s", errs)
			}
			golden(t, filepath.Join("testdata", "explain-"+tc.name+".golden"), out)
		})
	}
}

func TestExplainBadAddress(t *testing.T) {
	e := newTestEnv(t, nil, "")
	_, errs, code := e.run(t, "-A", "-m", filepath.Join(repoRoot, "testdata", "logs", "sample.log"), "--explain", "nope")
	if code != 1 || !strings.Contains(errs, `--explain: "nope" is not an IP address`) {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		must(t, os.WriteFile(path, []byte(got), 0o600))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// The mirror of docs/json.md, written from the document, not from the
// renderer's types, so a renamed or added field fails here.
type jDoc struct {
	Schema    string    `json:"schema"`
	Kind      string    `json:"kind"`
	Generated time.Time `json:"generated"`
	Version   string    `json:"version"`
	Sources   []jSource `json:"sources"`
	Totals    struct {
		Sources, Destinations, Listed int
		ByLevel                       [5]int `json:"by_level"`
	} `json:"totals"`
	TopPorts struct {
		TCP []jPort `json:"tcp"`
		UDP []jPort `json:"udp"`
	} `json:"top_ports"`
	TopSignatures []struct {
		ID, Count, Sources int
		Msg                string
	} `json:"top_signatures"`
	Blocks []struct {
		Prefix   string     `json:"prefix"`
		DL       int        `json:"dl"`
		Since    time.Time  `json:"since"`
		Expires  *time.Time `json:"expires"`
		Backends []string   `json:"backends"`
		State    string     `json:"state"`
		Manual   bool       `json:"manual"`
	} `json:"blocks"`
}

type jPort struct{ Port, Pkts int }

type jSource struct {
	Addr        string    `json:"addr"`
	DL          int       `json:"dl"`
	Packets     int       `json:"packets"`
	SigCount    int       `json:"sig_count"`
	EmailAlerts int       `json:"email_alerts"`
	Local       bool      `json:"local"`
	AutoDL      bool      `json:"auto_dl"`
	OSGuess     []string  `json:"os_guess"`
	LastSeen    time.Time `json:"last_seen"`
	Dsts        []struct {
		Addr       string            `json:"addr"`
		Local      bool              `json:"local"`
		Pkts       int               `json:"pkts"`
		Ports      map[string][2]int `json:"ports"`
		Protocols  int               `json:"protocols"`
		ScanType   string            `json:"scan_type"`
		Signatures []struct {
			ID    int    `json:"id"`
			Msg   string `json:"msg"`
			Count int    `json:"count"`
		} `json:"signatures"`
	} `json:"dsts"`
}

func decodeDoc(t *testing.T, data []byte) jDoc {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d jDoc
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("decoding the document: %v\n%s", err, data)
	}
	// Every documented key is present (nulls only where documented).
	var raw map[string]any
	must(t, json.Unmarshal(data, &raw))
	for _, k := range []string{"schema", "kind", "generated", "version", "sources", "totals", "top_ports", "top_signatures", "blocks"} {
		if v, ok := raw[k]; !ok || v == nil {
			t.Errorf("top-level %q missing or null", k)
		}
	}
	if d.Schema != "psad-go/1" {
		t.Errorf("schema %q", d.Schema)
	}
	return d
}

func TestAnalysisJSON(t *testing.T) {
	e := newTestEnv(t, nil, "")
	out, errs, code := e.run(t, "-A", "-m", filepath.Join(repoRoot, "testdata", "logs", "syn_scan_1000_1500.log"), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := decodeDoc(t, []byte(out))
	if d.Kind != "analysis" || d.Generated.IsZero() || d.Version == "" {
		t.Errorf("header: %+v", d)
	}
	if len(d.Sources) != 1 || d.Totals.Sources != 1 || d.Totals.Listed != 1 || d.Totals.ByLevel[2] != 1 {
		t.Fatalf("sources %+v totals %+v", d.Sources, d.Totals)
	}
	s := d.Sources[0]
	if s.Addr != "192.168.10.55" || s.DL != 3 || s.Packets != 1002 || s.SigCount == 0 || s.LastSeen.IsZero() || s.OSGuess == nil {
		t.Errorf("source %+v", s)
	}
	if len(s.Dsts) != 1 {
		t.Fatalf("dsts %+v", s.Dsts)
	}
	dst := s.Dsts[0]
	if dst.Addr != "192.168.10.1" || dst.Pkts != 1002 || dst.ScanType != "port_scan" || dst.Protocols != 1 ||
		!reflect.DeepEqual(dst.Ports, map[string][2]int{"tcp": {1000, 1500}}) {
		t.Errorf("dst %+v", dst)
	}
	if len(dst.Signatures) == 0 || dst.Signatures[0].Msg == "" || dst.Signatures[0].Count == 0 {
		t.Errorf("signatures %+v", dst.Signatures)
	}
	if len(d.TopPorts.TCP) == 0 || d.TopPorts.UDP == nil || len(d.TopSignatures) == 0 || d.TopSignatures[0].Sources != 1 || d.Blocks == nil {
		t.Errorf("tops %+v %+v blocks %v", d.TopPorts, d.TopSignatures, d.Blocks)
	}
}
