package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigTest runs --config-test over good and broken installations:
// it must name what is wrong, exit 1 for errors and 0 otherwise, and
// start nothing (no pid file, no state directory).
func TestConfigTest(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		autoDL   string
		code     int
		stdout   string
		stderr   []string // substrings stderr must hold; nil: stderr empty
	}{
		{name: "good", code: 0, stdout: "[+] psad.conf and companion files OK\n"},
		{name: "bad number", settings: map[string]string{"CHECK_INTERVAL": "5s"}, code: 1,
			stderr: []string{`CHECK_INTERVAL: CHECK_INTERVAL must be an integer >= 1, not "5s"`}},
		{name: "bad HOME_NET found by Settings", settings: map[string]string{"HOME_NET": "10.0.0.300/24"}, code: 1,
			stderr: []string{`HOME_NET: bad address in "10.0.0.300/24"`}},
		{name: "bad auto_dl line", autoDL: "10.1.1.1    9;\n", code: 1,
			stderr: []string{"[*] improperly formatted auto_dl line 1"}},
		{name: "missing signatures file", settings: map[string]string{"SIGS_FILE": "/nonexistent/signatures"}, code: 1,
			stderr: []string{"/nonexistent/signatures"}},
		{name: "unknown variable is a warning", settings: map[string]string{"ENABLE_KMSG_REED": "Y"}, code: 0,
			stdout: "[+] psad.conf and companion files OK\n",
			stderr: []string{"[-] config warning, ", "ENABLE_KMSG_REED: unknown variable, did you mean ENABLE_KMSG_READ?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, tt.settings, tt.autoDL)
			out, errs, code := e.run(t, "--config-test")
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			if out != tt.stdout {
				t.Errorf("stdout = %q, want %q", out, tt.stdout)
			}
			if tt.stderr == nil && errs != "" {
				t.Errorf("stderr = %q, want nothing", errs)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errs, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errs)
				}
			}
			if tt.code != 0 && !strings.HasPrefix(errs, "[") {
				t.Errorf("stderr = %q, want psad-style lines", errs)
			}
			for _, d := range []string{"run", "fifo"} {
				if _, err := os.Stat(filepath.Join(e.dir, d)); err == nil {
					t.Errorf("--config-test created %s: it must start nothing", d)
				}
			}
		})
	}
}
