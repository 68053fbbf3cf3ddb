package respond

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/ctl"
)

// TestHostsDenyFile: the tcpwrappers backend writes the file
// ETC_HOSTS_DENY_FILE names, not always /etc/hosts.deny.
func TestHostsDenyFile(t *testing.T) {
	deny := filepath.Join(t.TempDir(), "hosts.deny")
	if err := os.WriteFile(deny, []byte("# the host's own rules\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(
		"TCPWRAPPERS_BLOCK_METHOD    N;", "TCPWRAPPERS_BLOCK_METHOD    Y;",
		"IPTABLES_BLOCK_METHOD       Y;", "IPTABLES_BLOCK_METHOD       N;",
		"ETC_HOSTS_DENY_FILE         /etc/hosts.deny;", "ETC_HOSTS_DENY_FILE "+deny+";",
	).Replace(string(config.DefaultText()))
	c, err := config.Parse("psad.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	set, err := c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if !set.Block.TCPWrappers || set.Block.IPTables {
		t.Fatalf("the test's psad.conf edit did not take: %+v", set.Block)
	}
	bs, err := Backends(set)
	if err != nil || len(bs) != 1 {
		t.Fatalf("backends %v, %v", bs, err)
	}
	if err := bs[0].Add(context.Background(), []block.Entry{{Prefix: netip.MustParsePrefix("203.0.113.9/32")}}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(deny); err != nil || !strings.Contains(string(b), "ALL: 203.0.113.9") {
		t.Errorf("%s: %q, %v", deny, b, err)
	}
}

// tcpwrSettings is a psad.conf for blocking without a daemon and without
// root: everything under a temporary INSTALL_ROOT, ENABLE_AUTO_IDS on,
// blocks written to a hosts.deny of the test's (returned with the root).
func tcpwrSettings(t *testing.T) (set *config.Settings, root, deny string) {
	t.Helper()
	root = t.TempDir()
	for _, d := range []string{"etc/psad", "var/lib/psad", "var/run/psad", "var/log/psad"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	deny = filepath.Join(root, "hosts.deny")
	text := strings.NewReplacer(
		"ENABLE_AUTO_IDS             N;", "ENABLE_AUTO_IDS             Y;",
		"TCPWRAPPERS_BLOCK_METHOD    N;", "TCPWRAPPERS_BLOCK_METHOD    Y;",
		"IPTABLES_BLOCK_METHOD       Y;", "IPTABLES_BLOCK_METHOD       N;",
		"ETC_HOSTS_DENY_FILE         /etc/hosts.deny;", "ETC_HOSTS_DENY_FILE "+deny+";",
		"INSTALL_ROOT                /;", "INSTALL_ROOT "+root+";",
	).Replace(string(config.DefaultText()))
	c, err := config.Parse("psad.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	set, err = c.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if !set.Block.AutoIDS || !set.Block.TCPWrappers || set.Block.IPTables {
		t.Fatalf("the test's psad.conf edit did not take: %+v", set.Block)
	}
	return set, root, deny
}

// TestHandleRefusesIgnoredNet: the daemon's side refuses a block that
// overlaps an AUTO_DL_FILE entry of level 0 as the command line does,
// whether asked in JSON or in psad's socket lines ("add <net>"), which
// psad's daemon carried out; other networks are blocked.
func TestHandleRefusesIgnoredNet(t *testing.T) {
	set, root, deny := tcpwrSettings(t)
	autoDL := filepath.Join(root, "etc/psad/auto_dl")
	if err := os.WriteFile(autoDL, []byte("192.0.2.0/24  0;\n198.51.100.0/24  3;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	psadLine := func(line string) ctl.Request {
		req, ok := ctl.PsadLine(line)
		if !ok {
			t.Fatalf("PsadLine(%q) not a command", line)
		}
		return req
	}
	err := withPolicy(set, func(ctx context.Context, p *block.Policy) error {
		for _, req := range []ctl.Request{{Op: "block", Arg: "192.0.2.7"}, psadLine("add 192.0.2.128/25")} {
			var out strings.Builder
			err := Handle(ctx, p, req, &out)
			if !errors.Is(err, block.ErrNeverBlock) || !strings.Contains(err.Error(), "overlaps with whitelisted 192.0.2.0/24 in "+autoDL) {
				t.Errorf("Handle(%+v) = %v, want a refusal naming the auto_dl entry", req, err)
			}
		}
		var out strings.Builder
		return Handle(ctx, p, psadLine("add 198.51.100.9"), &out)
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(deny)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "192.") || !strings.Contains(string(b), "ALL: 198.51.100.9\n") {
		t.Errorf("hosts.deny = %q, want 198.51.100.9 only", b)
	}
}

// TestManualBlockArgs: --fw-block-ip takes psad's forms (a dotted mask,
// blanks around the argument), refuses a zoned address with psad's
// message, and refuses a network that overlaps an AUTO_DL_FILE entry of
// level 0 before any firewall is touched; --fw-rm-block-ip is not
// refused for it; the argument is checked before ENABLE_AUTO_IDS. No daemon runs, so this process applies the blocks
// (to a hosts.deny of the test's).
func TestManualBlockArgs(t *testing.T) {
	set, root, deny := tcpwrSettings(t)
	autoDL := filepath.Join(root, "etc/psad/auto_dl")
	if err := os.WriteFile(autoDL, []byte("192.0.2.0/24  0;\n198.51.100.0/24  3;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if set.Detect.AutoDLFile.Path != autoDL {
		t.Fatalf("AUTO_DL_FILE %s, want %s", set.Detect.AutoDLFile.Path, autoDL)
	}
	run := func(c Command) (int, string) {
		var out, errw strings.Builder
		code := Run(c, set, &out, &errw)
		return code, errw.String()
	}
	hostsDeny := func() string {
		b, _ := os.ReadFile(deny)
		return string(b)
	}

	code, msg := run(Command{BlockIP: "192.0.2.7"})
	if code != 1 || msg != "[*] 192.0.2.7/32 overlaps with whitelisted 192.0.2.0/24 in "+autoDL+"\n" || strings.Contains(hostsDeny(), "192.0.2") {
		t.Errorf("blocking an auto_dl level 0 address: exit %d, %q, hosts.deny %q", code, msg, hostsDeny())
	}
	code, msg = run(Command{BlockIP: "fe80::1%eth0"})
	if code != 1 || msg != "[*] The --fw-block-ip argument accepts an IP address or network.\n" {
		t.Errorf("a zoned address: exit %d, %q", code, msg)
	}
	code, msg = run(Command{BlockIP: " 198.51.100.0/255.255.255.0 "})
	if code != 0 || !strings.Contains(hostsDeny(), "ALL: 198.51.100.0/255.255.255.0\n") {
		t.Errorf("a dotted mask: exit %d, %q, hosts.deny %q", code, msg, hostsDeny())
	}
	code, msg = run(Command{UnblockIP: "192.0.2.7"})
	if strings.Contains(msg, "overlaps") {
		t.Errorf("unblocking an auto_dl level 0 address: exit %d, %q", code, msg)
	}

	// The argument is checked before ENABLE_AUTO_IDS, as psad orders it.
	set.Block.AutoIDS = false
	if code, msg = run(Command{UnblockIP: "299.0.0.1"}); code != 1 || msg != "[*] The --fw-rm-block-ip argument accepts an IP address or network.\n" {
		t.Errorf("a bad argument with ENABLE_AUTO_IDS N: exit %d, %q", code, msg)
	}
	if code, msg = run(Command{BlockIP: "203.0.113.1"}); code != 1 || msg != "[*] ENABLE_AUTO_IDS is not set to 'Y', exiting.\n" {
		t.Errorf("ENABLE_AUTO_IDS N: exit %d, %q", code, msg)
	}
}

// TestPsadBlocksTakenOver: the blocks psad recorded in
// AUTO_BLOCK_TCPWR_FILE are taken over when this process first applies
// blocks (here a manual block without a daemon): the unexpired one is in
// hosts.deny beside the new block, the expired one is not.
func TestPsadBlocksTakenOver(t *testing.T) {
	set, _, deny := tcpwrSettings(t)
	set.Block.DLTimeout[set.Block.AutoIDSDangerLevel] = time.Hour
	now := time.Now().Unix()
	old := fmt.Sprintf("203.0.113.5 %d\n203.0.113.6 %d\n", now-60, now-3660)
	if err := os.WriteFile(set.Block.TCPWrFile, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errw strings.Builder
	if code := Run(Command{BlockIP: "198.51.100.77"}, set, &out, &errw); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errw.String())
	}
	b, _ := os.ReadFile(deny)
	if !strings.Contains(string(b), "ALL: 203.0.113.5\n") || !strings.Contains(string(b), "ALL: 198.51.100.77\n") || strings.Contains(string(b), "203.0.113.6") {
		t.Errorf("hosts.deny:\n%s", b)
	}
}
