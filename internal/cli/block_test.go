package cli

import (
	"github.com/psadgo/psad/internal/respond"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/block/tcpwrappers"
	"github.com/psadgo/psad/internal/config"
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
	e := newTestEnv(t, map[string]string{"ENABLE_AUTO_IDS": "Y", "AUTO_IDS_DANGER_LEVEL": "3",
		"IPTABLES_BLOCK_METHOD": "N", "TCPWRAPPERS_BLOCK_METHOD": "Y"}, "")
	hosts := func() string { data, _ := os.ReadFile(deny); return string(data) }

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

	if out, errOut, code := e.run(t, "--fw-rm-block-ip", "203.0.113.0/24"); code != 0 {
		t.Fatalf("--fw-rm-block-ip: exit %d %s%s", code, out, errOut)
	}
	if strings.Contains(hosts(), "203.0.113.0") || !strings.Contains(hosts(), "192.168.10.55") {
		t.Fatalf("hosts.deny after --fw-rm-block-ip:\n%s", hosts())
	}
	if _, _, code := e.run(t, "-F"); code != 0 || strings.Contains(hosts(), "192.168.10.55") {
		t.Fatalf("-F left:\n%s", hosts())
	}
	// The flush sticks: the records say so, and a list shows nothing.
	if out, _, _ := e.run(t, "--fw-list-auto"); strings.Contains(out, "192.168.10.55") {
		t.Errorf("--fw-list-auto after -F:\n%s", out)
	}
}
