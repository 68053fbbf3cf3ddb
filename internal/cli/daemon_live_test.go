package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// set rewrites settings in the test's psad.conf (for a reload).
func (e *testEnv) set(t *testing.T, settings map[string]string) {
	t.Helper()
	data, err := os.ReadFile(e.conf)
	must(t, err)
	text := string(data)
	for name, val := range settings {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s[^;]*;`)
		text = re.ReplaceAllLiteralString(text, name+" "+val+";")
	}
	must(t, os.WriteFile(e.conf, []byte(text), 0o600))
}

func scanLines(src string, n int) []string {
	ts := time.Now().Format("Jan _2 15:04:05")
	var lines []string
	for p := range n {
		lines = append(lines, fmt.Sprintf(daemonSYN, ts, "DROP ", src, 1000+p))
	}
	return lines
}

// TestStatusSeesScanWithinASecond: with psad's default CHECK_INTERVAL of
// 5 s, a scan appended to the followed log shows in psad -S, with its
// danger level, within a second, as a user polling -S would see it.
func TestStatusSeesScanWithinASecond(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, nil, 0o600))
	e := newTestEnv(t, map[string]string{"IPT_SYSLOG_FILE": logPath, "CHECK_INTERVAL": "5",
		"ALERTING_METHODS": "noemail,nosyslog"}, "")
	startDaemon(t, e.conf, Env{})
	appendLines(t, logPath, scanLines("10.2.2.2", 20)...)
	start := time.Now()
	var st string
	for {
		st, _, _ = e.run(t, "-S")
		// -S lists sources from DL 1 up, so the line shows only once the
		// daemon has assigned a level; the batch closes 5 s later.
		if strings.Contains(st, "SRC:  10.2.2.2, DL: ") {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("scan not in -S after 5 s:\n%s", st)
		}
		time.Sleep(10 * time.Millisecond) // polling, as a user would
	}
	lat := time.Since(start)
	t.Logf("scan visible in -S after %v", lat)
	if lat > time.Second {
		t.Errorf("scan visible in -S after %v, want within 1 s at CHECK_INTERVAL 5", lat)
	}
}

// TestHUPAppliesNewAlertSettings: after a reload that changes
// EMAIL_ADDRESSES and MIN_DANGER_LEVEL, the next alerts follow the new
// values: a DL 1 scan no longer alerts, a DL 3 scan mails the new address.
func TestHUPAppliesNewAlertSettings(t *testing.T) {
	mb, port := startSMTP(t)
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "log.sock")
	sl := startSyslog(t, sockPath)
	logPath := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, nil, 0o600))
	e := newTestEnv(t, map[string]string{
		"IPT_SYSLOG_FILE": logPath, "CHECK_INTERVAL": "1", "EMAIL_ADDRESSES": "old@example.com",
		"MIN_DANGER_LEVEL": "1", "EMAIL_ALERT_DANGER_LEVEL": "1",
		"SMTP_SERVER": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_STARTTLS": "no",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath,
	}, "")
	var errb syncBuffer
	startDaemon(t, e.conf, Env{Stderr: &errb})
	appendLines(t, logPath, scanLines("10.3.3.1", 6)...)
	waitFor(t, "the first alert mail", func() bool { return len(mb.all()) == 1 })
	if m := mb.all()[0]; !strings.Contains(m, "old@example.com") {
		t.Fatalf("first mail not to old@example.com:\n%s", m)
	}

	e.set(t, map[string]string{"EMAIL_ADDRESSES": "new@example.com", "MIN_DANGER_LEVEL": "3"})
	if out, _, code := e.run(t, "-H"); code != 0 || !strings.Contains(out, "HUP signal sent") {
		t.Fatalf("-H: exit %d %s", code, out)
	}
	waitFor(t, "the reload", func() bool { return strings.Contains(errb.String(), "configuration reloaded") })
	appendLines(t, logPath, scanLines("10.3.3.2", 6)...)   // DL 1: below the new MIN_DANGER_LEVEL
	appendLines(t, logPath, scanLines("10.3.3.3", 160)...) // DL 3
	waitFor(t, "the alert mail after the reload", func() bool { return len(mb.all()) >= 2 })
	// The DL 1 scan came first in the log, so its batch closed no later
	// than the DL 3 one, and the alert worker sends in order: once the
	// DL 3 syslog line is out, a DL 1 alert would be out too.
	waitFor(t, "the DL 3 syslog line", func() bool { return sl.find("10.3.3.3") != "" })
	mails := mb.all()
	if len(mails) != 2 {
		t.Fatalf("%d mails after the reload, want 1 (the DL 3 scan only)", len(mails)-1)
	}
	if m := mails[1]; !strings.Contains(m, "new@example.com") || strings.Contains(m, "old@example.com") || !strings.Contains(m, "10.3.3.3") {
		t.Errorf("mail after the reload:\n%s", m)
	}
	if sl.find("10.3.3.2") != "" {
		t.Errorf("a DL 1 scan alerted after MIN_DANGER_LEVEL became 3: %s", sl.find("10.3.3.2"))
	}
}

// TestStatusDShieldSection: with ENABLE_DSHIELD_ALERTS, -S has psad's
// DShield counters (of the mails sent to DShield and the packets they
// held: none before the first DSHIELD_ALERT_INTERVAL) between the prefix
// counters and the protocol counters.
func TestStatusDShieldSection(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "messages")
	must(t, os.WriteFile(logFile, nil, 0o600))
	e := newTestEnv(t, map[string]string{"IPT_SYSLOG_FILE": logFile, "ALERTING_METHODS": "noemail,nosyslog",
		"CHECK_INTERVAL": "1", "ENABLE_DSHIELD_ALERTS": "Y"}, "")
	startDaemon(t, e.conf, Env{})
	appendLines(t, logFile, scanLines("10.7.7.8", 6)...)
	var st string
	waitFor(t, "the scan in -S", func() bool {
		st, _, _ = e.run(t, "-S")
		return strings.Contains(st, "SRC:  10.7.7.8")
	})
	want := "      \"DROP\": 6\n\n    DShield stats:\n      total emails: 0\n      total packets: 0\n\n    Total protocol packet counters:\n"
	if !strings.Contains(st, want) {
		t.Errorf("-S lacks the DShield section %q:\n%s", want, st)
	}
}
