package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFwCheckExitStatus runs --fw-analyze --fw-file on stored rulesets:
// 0 when the policy logs what it drops, 1 when not, 2 when there is
// nothing to check.
func TestFwCheckExitStatus(t *testing.T) {
	e := newTestEnv(t, map[string]string{"ENABLE_IPV6_DETECTION": "Y", "ALERTING_METHODS": "noemail"}, "")
	rules := func(name string) string { return filepath.Join("..", "fwcheck", "testdata", name+".rules") }
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"logs and drops", []string{"--fw-analyze", "--fw-file", rules("iptables-legacy-logdrop")}, 0, "[+] Firewall config looks good.\n"},
		{"fw-file implies fw-analyze", []string{"--fw-file", rules("firewalld-log-denied")}, 0, "[+] Firewall config looks good.\n"},
		{"ufw without logging", []string{"--fw-file", rules("ufw-logging-off")}, 1, "ufw logging low"},
		{"nft accepts", []string{"--fw-analyze", "--fw-file", rules("nft-accept-loggroup")}, 1, "[-] Errors found in firewall config.\n"},
		{"missing file", []string{"--fw-analyze", "--fw-file", filepath.Join(e.dir, "nope")}, 2, ""},
		{"not a ruleset", []string{"--fw-file", e.conf}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(append([]string{"-c", e.conf}, tt.args...), Env{Stdout: &out, Stderr: &errb})
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tt.out) {
				t.Errorf("stdout lacks %q:\n%s", tt.out, out.String())
			}
			if tt.code == 2 && errb.Len() == 0 {
				t.Error("no message on stderr")
			}
		})
	}
}

// TestFwCheckReportAndMail: the check's report goes to FW_CHECK_FILE,
// and a failed check is mailed to EMAIL_ADDRESSES, as psad does; not in
// --test-mode.
func TestFwCheckReportAndMail(t *testing.T) {
	mb, port := startSMTP(t)
	e := newTestEnv(t, map[string]string{"EMAIL_ADDRESSES": "admin@example.com", "HOSTNAME": "fw9",
		"SMTP_SERVER": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_STARTTLS": "no"}, "")
	rules := func(name string) string { return filepath.Join("..", "fwcheck", "testdata", name+".rules") }
	report := filepath.Join(e.dir, "log", "fw_check")

	out, _, code := e.run(t, "--fw-analyze", "--fw-file", rules("iptables-legacy-logdrop"))
	b, err := os.ReadFile(report)
	if code != 0 || err != nil || !strings.Contains(string(b), "logs the packets it drops") || !strings.Contains(out, "[+] Results in "+report) {
		t.Fatalf("good ruleset: exit %d, %s: %q (%v)\n%s", code, report, b, err, out)
	}
	if n := len(mb.all()); n != 0 {
		t.Errorf("%d mails for a good ruleset", n)
	}

	if _, _, code := e.run(t, "--fw-analyze", "--test-mode", "--fw-file", rules("ufw-logging-off")); code != 1 || len(mb.all()) != 0 {
		t.Errorf("--test-mode: exit %d, %d mails", code, len(mb.all()))
	}
	out, _, code = e.run(t, "--fw-analyze", "--fw-file", rules("ufw-logging-off"))
	b, _ = os.ReadFile(report)
	if code != 1 || !strings.Contains(string(b), "ufw logging low") || !strings.Contains(out, "emailed to admin@example.com") {
		t.Fatalf("bad ruleset: exit %d, %s: %q\n%s", code, report, b, out)
	}
	msgs := mb.all()
	if len(msgs) != 1 || !strings.Contains(msgs[0], "Subject: [psad-status] firewall setup warning on fw9!") || !strings.Contains(msgs[0], "ufw logging low") {
		t.Errorf("mails:\n%s", strings.Join(msgs, "\n----\n"))
	}
}

// TestFwDumpFile: --fw-dump scrubs addresses unless --fw-include-ips.
func TestFwDumpFile(t *testing.T) {
	e := newTestEnv(t, nil, "")
	file := filepath.Join("..", "fwcheck", "testdata", "ufw-logging-low.rules")
	for _, tt := range []struct {
		args   []string
		leaked bool
	}{
		{[]string{"--fw-dump", "--fw-file", file}, false},
		{[]string{"--fw-dump", "--fw-include-ips", "--fw-file", file}, true},
	} {
		var out, errb bytes.Buffer
		if code := Run(append([]string{"-c", e.conf}, tt.args...), Env{Stdout: &out, Stderr: &errb}); code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errb.String())
		}
		if got := strings.Contains(out.String(), "239.255.255.250"); got != tt.leaked {
			t.Errorf("%v: address present %v, want %v\n%s", tt.args, got, tt.leaked, out.String())
		}
		if !strings.Contains(out.String(), "-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT") {
			t.Errorf("%v: rules missing from the dump", tt.args)
		}
	}
}
