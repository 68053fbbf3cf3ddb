package cli

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDaemonJSONAndExplain asks a running daemon, through its control
// socket, about two sources appended to the log it follows: a scanner
// that reaches DL 3 (and is blocked at AUTO_IDS_DANGER_LEVEL 3) and a DL 1
// prober. Every --json form decodes against docs/json.md and names the
// right sources; --explain names the threshold that set the level, with
// the value from this daemon's psad.conf, and the block.
func TestDaemonJSONAndExplain(t *testing.T) {
	deny := withHostsDeny(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logFile, nil, 0o600))
	e := newTestEnv(t, map[string]string{"IPT_SYSLOG_FILE": logFile, "ALERTING_METHODS": "noemail,nosyslog",
		"ENABLE_AUTO_IDS": "Y", "AUTO_IDS_DANGER_LEVEL": "3", "IPTABLES_BLOCK_METHOD": "N", "TCPWRAPPERS_BLOCK_METHOD": "Y",
		// Not psad's 150, so the explanation must quote the daemon's value.
		"DANGER_LEVEL3": "40"}, "")
	startDaemon(t, e.conf, Env{})
	appendLines(t, logFile, append(scanLines("10.5.5.5", 40), scanLines("10.6.6.6", 6)...)...)

	status := func(args ...string) jDoc {
		t.Helper()
		out, errs, code := e.run(t, append(args, "--json")...)
		if code != 0 {
			t.Fatalf("%v --json: exit %d\n%s%s", args, code, out, errs)
		}
		return decodeDoc(t, []byte(out))
	}
	var full jDoc
	waitFor(t, "both sources and the block in -S --json", func() bool {
		out, _, code := e.run(t, "-S", "--json")
		if code != 0 {
			return false
		}
		full = decodeDoc(t, []byte(out))
		// The policy records the block before the firewall holds it;
		// backends fills in once tcpwrappers has written it.
		return len(full.Sources) == 2 && full.Sources[0].DL == 3 && len(full.Blocks) == 1 && len(full.Blocks[0].Backends) > 0
	})
	if full.Kind != "status" || full.Totals.Sources != 2 || full.Totals.Listed != 2 || full.Totals.ByLevel != [5]int{1, 0, 1, 0, 0} {
		t.Errorf("-S --json header and totals: kind %q totals %+v", full.Kind, full.Totals)
	}
	scanner, prober := full.Sources[0], full.Sources[1]
	if scanner.Addr != "10.5.5.5" || scanner.Packets != 40 || len(scanner.Dsts) != 1 ||
		scanner.Dsts[0].Ports["tcp"] != [2]int{1000, 1039} || scanner.Dsts[0].Addr != "192.168.10.1" {
		t.Errorf("scanner %+v", scanner)
	}
	if prober.Addr != "10.6.6.6" || prober.DL != 1 || prober.Packets != 6 {
		t.Errorf("prober %+v", prober)
	}
	checkBlock(t, "-S --json", full, deny)

	// --status-ip implies -S and keeps only that source and its blocks.
	if d := status("--status-ip", "10.6.6.6"); len(d.Sources) != 1 || d.Sources[0].Addr != "10.6.6.6" ||
		d.Totals.Listed != 1 || d.Totals.Sources != 2 || len(d.Blocks) != 0 {
		t.Errorf("--status-ip 10.6.6.6: sources %+v totals %+v blocks %+v", d.Sources, d.Totals, d.Blocks)
	}
	if d := status("-S", "--status-ip", "10.5.5.5"); len(d.Sources) != 1 || d.Sources[0].Addr != "10.5.5.5" {
		t.Errorf("--status-ip 10.5.5.5: sources %+v", d.Sources)
	} else {
		checkBlock(t, "--status-ip 10.5.5.5", d, deny)
	}
	// --status-dl 2 drops the DL 1 prober from the list, not the totals.
	if d := status("--status-dl", "2"); len(d.Sources) != 1 || d.Sources[0].Addr != "10.5.5.5" ||
		d.Totals.Sources != 2 || d.Totals.Listed != 1 {
		t.Errorf("--status-dl 2: sources %+v totals %+v", d.Sources, d.Totals)
	}
	// --status-summary: counters and tops, no sources.
	if d := status("--status-summary"); len(d.Sources) != 0 || d.Totals.Sources != 2 || len(d.TopPorts.TCP) == 0 {
		t.Errorf("--status-summary: sources %+v totals %+v ports %+v", d.Sources, d.Totals, d.TopPorts)
	}
	if _, errs, code := e.run(t, "--status-dl", "6", "--json"); code != 1 || !strings.Contains(errs, "--status-dl must be between 1 and 5") {
		t.Errorf("--status-dl 6 --json: exit %d %s", code, errs)
	}

	// --explain asks the daemon.
	out, errs, code := e.run(t, "--explain", "10.5.5.5")
	if code != 0 {
		t.Fatalf("--explain: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"10.5.5.5: danger level 3, 40 packets to 1 destination(s).",
		"DL 3: 40 packets to 192.168.10.1 reached DANGER_LEVEL3 (40)",
		"PORT_RANGE_SCAN_THRESHOLD",
		"  Blocked: 10.5.5.5/32 at DL 3 since ",
		"the running daemon does not count them per address",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--explain 10.5.5.5 lacks %q:\n%s", want, out)
		}
	}
	if out, _, _ := e.run(t, "--explain", "10.6.6.6"); !strings.Contains(out, "10.6.6.6: danger level 1, 6 packets") ||
		!strings.Contains(out, "Not blocked: DL 1 is below AUTO_IDS_DANGER_LEVEL (3).") {
		t.Errorf("--explain 10.6.6.6:\n%s", out)
	}

	// --fw-list-auto --json: the daemon's block, with its level and time.
	bl := status("--fw-list-auto")
	if bl.Kind != "blocks" || len(bl.Sources) != 0 {
		t.Errorf("--fw-list-auto --json: kind %q sources %+v", bl.Kind, bl.Sources)
	}
	checkBlock(t, "--fw-list-auto --json", bl, deny)
}

// checkBlock: d lists exactly the scanner's block, as the daemon holds
// it and as the firewall (hosts.deny) has it.
func checkBlock(t *testing.T, what string, d jDoc, deny string) {
	t.Helper()
	if len(d.Blocks) != 1 {
		t.Errorf("%s: blocks %+v", what, d.Blocks)
		return
	}
	b := d.Blocks[0]
	p, err := netip.ParsePrefix(b.Prefix)
	if err != nil || p != netip.MustParsePrefix("10.5.5.5/32") || b.DL != 3 || b.Since.IsZero() || b.Manual ||
		b.State != "blocked" || !slices.Equal(b.Backends, []string{"tcpwrappers"}) {
		t.Errorf("%s: block %+v", what, b)
	}
	if data, _ := os.ReadFile(deny); !strings.Contains(string(data), "10.5.5.5") {
		t.Errorf("%s lists a block hosts.deny lacks:\n%s", what, data)
	}
}

// TestStatusJSONRefusals: the --json status forms check their arguments
// before asking, and say so when no daemon answers.
func TestStatusJSONRefusals(t *testing.T) {
	e := newTestEnv(t, nil, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--status-ip", "nope", "--json"}, `--status-ip: "nope" is not an IP address`},
		{[]string{"-S", "--status-dl", "0", "--json"}, "--status-dl must be between 1 and 5"},
		{[]string{"--status-summary", "--json"}, "no status from the daemon"},
		{[]string{"--status-ip", "10.1.1.1", "--json"}, "no status from the daemon"},
	} {
		out, errs, code := e.run(t, tc.args...)
		if code != 1 || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 1 and %q", tc.args, code, out, errs, tc.want)
		}
	}
}
