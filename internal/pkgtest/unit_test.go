package pkgtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// maxExposure is the highest systemd-analyze security score the unit may
// have: "OK" on systemd's scale. It stays above 2 because the daemon
// must run as root in the host's network namespace with CAP_NET_ADMIN to
// change the firewall, and read the kernel log.
const maxExposure = 3.0

func TestUnitExposure(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	unit := filepath.Join(repoRoot(t), "dist", "psad.service")
	out, err := exec.Command(sa, "security", "--offline=yes", unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for psad.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	if score > maxExposure {
		t.Errorf("exposure %.1f > %.1f:\n%s", score, maxExposure, out)
	}
}

// TestUnitDirectives pins what the unit promises beyond the score:
// config checked before start and reload (-H checks it), DAEMON_ARGS honoured, a man
// page as documentation, /dev/kmsg the only device.
func TestUnitDirectives(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "dist", "psad.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"Documentation=man:psad(8)\n",
		"EnvironmentFile=-/etc/default/psad\n",
		"ExecStartPre=/usr/sbin/psad --config-test $DAEMON_ARGS\n",
		"ExecStart=/usr/sbin/psad $DAEMON_ARGS\n",
		"ExecReload=/usr/sbin/psad -H $DAEMON_ARGS\n",
		"DevicePolicy=closed\nDeviceAllow=/dev/kmsg r\n",
		"SystemCallFilter=@system-service\n",
		"SMTP_SERVER",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if strings.Contains(unit, "Documentation=file:") {
		t.Error("unit links a documentation file that is not installed")
	}
}
