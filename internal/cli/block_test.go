package cli

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/block/tcpwrappers"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/respond"
)

// withHostsDeny points blocking at a hosts.deny file of the test's own
// (the tcpwrappers backend), so the commands run without a kernel
// firewall, and returns the file.
func withHostsDeny(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hosts.deny")
	old := respond.Backends
	respond.Backends = func(*config.Settings) ([]block.Backend, error) {
		return []block.Backend{tcpwrappers.New(tcpwrappers.Config{Path: path})}, nil
	}
	t.Cleanup(func() { respond.Backends = old })
	return path
}

// TestFirewallCommandsWithoutDaemon: with no daemon running, the blocking
// commands apply and record the change themselves, so a later daemon
// finds it; -A --analysis-auto-block blocks the scanner of a log.
func TestFirewallCommandsWithoutDaemon(t *testing.T) {
	deny := withHostsDeny(t)
	// EXTERNAL_BLOCK_SCRIPT writes down every block it is told of.
	dir := t.TempDir()
	script, ran := filepath.Join(dir, "block.sh"), filepath.Join(dir, "ran")
	must(t, os.WriteFile(script, []byte("#!/bin/sh\necho \"$1\" >> "+ran+"\n"), 0o700))
	e := newTestEnv(t, map[string]string{"ENABLE_AUTO_IDS": "Y", "AUTO_IDS_DANGER_LEVEL": "3",
		"IPTABLES_BLOCK_METHOD": "N", "TCPWRAPPERS_BLOCK_METHOD": "Y",
		"ENABLE_EXT_BLOCK_SCRIPT_EXEC": "Y", "EXTERNAL_BLOCK_SCRIPT": "/bin/sh " + script + " SRCIP"}, "")
	hosts := func() string { data, _ := os.ReadFile(deny); return string(data) }
	scriptRuns := func() string { data, _ := os.ReadFile(ran); return string(data) }

	if out, errOut, code := e.run(t, "--fw-block-ip", "203.0.113.0/24"); code != 0 || !strings.Contains(out, "Blocked 203.0.113.0/24") {
		t.Fatalf("--fw-block-ip: exit %d %s%s", code, out, errOut)
	}
	if !strings.Contains(hosts(), "ALL: 203.0.113.0/255.255.255.0") {
		t.Fatalf("hosts.deny after --fw-block-ip of a network:\n%s", hosts())
	}
	if out, _, _ := e.run(t, "--fw-list-auto"); !strings.Contains(out, "203.0.113.0/24") {
		t.Errorf("--fw-list-auto:\n%s", out)
	}
	if _, errOut, code := e.run(t, "--fw-block-ip", "127.0.0.1"); code == 0 || !strings.Contains(errOut, "never blocked") {
		t.Errorf("--fw-block-ip 127.0.0.1: exit %d %s", code, errOut)
	}

	// The analysis blocks the SYN scanner (DL 3 with 1,000 packets).
	if out, errOut, code := e.run(t, "-A", "-m", logPath("syn_scan_1000_1500"), "--analysis-auto-block"); code != 0 {
		t.Fatalf("-A --analysis-auto-block: exit %d %s%s", code, out, errOut)
	}
	if !strings.Contains(hosts(), "ALL: 192.168.10.55") {
		t.Fatalf("the scanner of the log is not blocked:\n%s", hosts())
	}

	// The script ran once for each block, when the command returned.
	if got, want := scriptRuns(), "203.0.113.0/24\n192.168.10.55\n"; got != want {
		t.Errorf("EXTERNAL_BLOCK_SCRIPT ran for %q, want %q", got, want)
	}

	if out, errOut, code := e.run(t, "--fw-rm-block-ip", "203.0.113.0/24"); code != 0 {
		t.Fatalf("--fw-rm-block-ip: exit %d %s%s", code, out, errOut)
	}
	if strings.Contains(hosts(), "203.0.113.0") || !strings.Contains(hosts(), "192.168.10.55") {
		t.Fatalf("hosts.deny after --fw-rm-block-ip:\n%s", hosts())
	}
	if _, _, code := e.run(t, "-F"); code != 0 || strings.Contains(hosts(), "192.168.10.55") {
		t.Fatalf("-F left:\n%s", hosts())
	}
	if got := scriptRuns(); strings.Count(got, "\n") != 2 {
		t.Errorf("EXTERNAL_BLOCK_SCRIPT ran for an unblock or a flush: %q", got)
	}
	// The flush sticks: the records say so, and a list shows nothing.
	if out, _, _ := e.run(t, "--fw-list-auto"); strings.Contains(out, "192.168.10.55") {
		t.Errorf("--fw-list-auto after -F:\n%s", out)
	}
}

// TestPsadSocketCommands: the daemon takes psad's line commands on
// AUTO_IPT_SOCK, as psad did, beside its own control socket: a script
// written for psad blocks and unblocks through it.
func TestPsadSocketCommands(t *testing.T) {
	deny := withHostsDeny(t)
	e := newTestEnv(t, map[string]string{"ENABLE_AUTO_IDS": "Y", "AUTO_IDS_DANGER_LEVEL": "3", "ALERTING_METHODS": "noemail,nosyslog",
		"IPTABLES_BLOCK_METHOD": "N", "TCPWRAPPERS_BLOCK_METHOD": "Y"}, "")
	startDaemon(t, e.conf, Env{})
	cfg, err := config.Load(e.conf, nil)
	must(t, err)
	set, err := cfg.Settings()
	must(t, err)
	send := func(lines string) {
		t.Helper()
		c, err := net.Dial("unix", set.Files.AutoIPTSock)
		must(t, err)
		_, err = io.WriteString(c, lines)
		must(t, err)
		must(t, c.Close())
	}
	hosts := func() string { data, _ := os.ReadFile(deny); return string(data) }
	send("add 203.0.113.9\n")
	waitFor(t, "the block psad's socket asked for", func() bool { return strings.Contains(hosts(), "ALL: 203.0.113.9\n") })
	send("DEL 203.0.113.9\n")
	waitFor(t, "the unblock psad's socket asked for", func() bool { return !strings.Contains(hosts(), "203.0.113.9") })
}

// TestHUPChangesBlockThreshold: AUTO_IDS_DANGER_LEVEL changed in
// psad.conf and sent with -H decides the blocks after the HUP, as psad
// re-reads it; the source scanned before it is left as it was.
func TestHUPChangesBlockThreshold(t *testing.T) {
	deny := withHostsDeny(t)
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "log.sock")
	sl := startSyslog(t, sockPath)
	logFile := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logFile, nil, 0o600))
	e := newTestEnv(t, map[string]string{"IPT_SYSLOG_FILE": logFile, "ALERTING_METHODS": "noemail",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath, "CHECK_INTERVAL": "1",
		"ENABLE_AUTO_IDS": "Y", "AUTO_IDS_DANGER_LEVEL": "5", "IPTABLES_BLOCK_METHOD": "N", "TCPWRAPPERS_BLOCK_METHOD": "Y",
		"DANGER_LEVEL3": "40"}, "")
	startDaemon(t, e.conf, Env{})
	hosts := func() string { data, _ := os.ReadFile(deny); return string(data) }

	appendLines(t, logFile, scanLines("10.5.5.5", 40)...)
	waitFor(t, "the first scan's syslog line", func() bool { return strings.Contains(sl.find("scan detected"), "10.5.5.5") })
	if strings.Contains(hosts(), "10.5.5.5") {
		t.Fatalf("DL 3 blocked with AUTO_IDS_DANGER_LEVEL 5:\n%s", hosts())
	}
	conf, err := os.ReadFile(e.conf)
	must(t, err)
	must(t, os.WriteFile(e.conf, []byte(strings.Replace(string(conf), "AUTO_IDS_DANGER_LEVEL 5;", "AUTO_IDS_DANGER_LEVEL 3;", 1)), 0o600))
	if out, _, code := e.run(t, "-H"); code != 0 || !strings.Contains(out, "HUP signal sent") {
		t.Fatalf("-H: exit %d %s", code, out)
	}
	waitFor(t, "the HUP syslog line", func() bool { return sl.find("received HUP signal, re-importing psad.conf") != "" })
	appendLines(t, logFile, scanLines("10.6.6.6", 40)...)
	waitFor(t, "the block of the scan after the HUP", func() bool { return strings.Contains(hosts(), "ALL: 10.6.6.6\n") })
	if strings.Contains(hosts(), "10.5.5.5") {
		t.Errorf("the source scanned before the HUP was blocked:\n%s", hosts())
	}
	// -S shows the block in psad's section, between the prefix counters
	// and the protocol counters; --status-ip narrows that section.
	section := regexp.MustCompile(`"DROP": 80\n\n    iptables auto-blocked IPs:\n      10\.6\.6\.6 \(3[0-9]{3} seconds remaining\)\n\n    Total protocol packet counters:\n`)
	if st, _, _ := e.run(t, "-S"); !section.MatchString(st) {
		t.Errorf("-S lacks psad's auto-blocked IP section:\n%s", st)
	}
	if st, _, _ := e.run(t, "--status-ip", "10.5.5.5"); !strings.Contains(st, "    iptables auto-blocking status for: 10.5.5.5: \n        [NONE]\n\n") {
		t.Errorf("--status-ip 10.5.5.5 (not blocked):\n%s", st)
	}
}
