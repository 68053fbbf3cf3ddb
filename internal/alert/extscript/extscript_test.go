package extscript

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunsWithoutShell(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "s.sh")
	// The script records its arguments, one per line.
	os.WriteFile(script, []byte("#!/bin/sh\nfor a in \"$@\"; do echo \"$a\" >> "+out+"; done\n"), 0o700)
	r, err := New(Config{Command: script + " --ip SRCIP again SRCIP ;touch " + filepath.Join(dir, "pwned")})
	if err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddr("192.0.2.55")
	r.Alerted(src)
	r.Alerted(src) // once per source unless EXEC_EXT_SCRIPT_PER_ALERT
	r.Close()
	data, _ := os.ReadFile(out)
	want := "--ip\n192.0.2.55\nagain\nSRCIP\n;touch\n" + filepath.Join(dir, "pwned") + "\n"
	if string(data) != want {
		t.Errorf("script saw %q, want %q", data, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("a shell ran the command line")
	}
	if r.Runs() != 1 {
		t.Errorf("ran %d times, want 1", r.Runs())
	}
}

func TestTimeoutAndPerAlert(t *testing.T) {
	r, err := New(Config{Command: "/bin/sleep 10", PerAlert: true, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r.Alerted(netip.MustParseAddr("192.0.2.1"))
	r.Alerted(netip.MustParseAddr("192.0.2.1"))
	r.Close()
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("timeout not enforced: %v", el)
	}
	if r.Runs() != 2 {
		t.Errorf("per-alert runs %d, want 2", r.Runs())
	}
	if _, err := New(Config{Command: "  "}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty command: %v", err)
	}
}
