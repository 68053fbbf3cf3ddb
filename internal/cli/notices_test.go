package cli

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// syslogDaemonEnv is a test environment for a daemon that follows an
// empty log file of its own and sends syslog to a sink the test reads;
// settings come on top.
func syslogDaemonEnv(t *testing.T, settings map[string]string, autoDL string) (e *testEnv, logPath string, sl *syslogSink) {
	t.Helper()
	dir := t.TempDir()
	logPath = filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, nil, 0o600))
	sockPath := filepath.Join(dir, "log.sock")
	sl = startSyslog(t, sockPath)
	all := map[string]string{"IPT_SYSLOG_FILE": logPath, "SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath,
		"PSAD_PID_FILE": filepath.Join(dir, "run", "psad.pid")}
	maps.Copy(all, settings)
	return newTestEnv(t, all, autoDL), logPath, sl
}

// TestDaemonSyslogNotices: psad's syslog lines for an auto_dl raise, for
// MAX_SCAN_IP_PAIRS dropping new pairs and for EMAIL_LIMIT holding mail
// back, word for word.
func TestDaemonSyslogNotices(t *testing.T) {
	mb, port := startSMTP(t)
	e, logPath, sl := syslogDaemonEnv(t, map[string]string{
		"CHECK_INTERVAL": "1", "MAX_SCAN_IP_PAIRS": "1", "EMAIL_LIMIT": "1",
		"EMAIL_ADDRESSES": "admin@example.com", "SMTP_SERVER": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_STARTTLS": "no",
	}, "10.1.1.1 4;\n")
	var errb syncBuffer
	startDaemon(t, e.conf, Env{Stderr: &errb})
	defer func() {
		if t.Failed() {
			t.Log(errb.String())
		}
	}()
	ts := time.Now().Format("Jan _2 15:04:05")
	appendLines(t, logPath, fmt.Sprintf(daemonSYN, ts, "DROP ", "10.1.1.1", 22))
	waitFor(t, "the auto_dl line", func() bool { return sl.find("auto-assigned danger level: 4 for IP: 10.1.1.1") != "" })
	waitFor(t, "the first alert mail", func() bool { return len(mb.all()) == 1 })
	// A second pair is over MAX_SCAN_IP_PAIRS; the known pair's next
	// alert is over EMAIL_LIMIT.
	appendLines(t, logPath, fmt.Sprintf(daemonSYN, ts, "DROP ", "10.2.2.2", 22), fmt.Sprintf(daemonSYN, ts, "DROP ", "10.1.1.1", 23))
	waitFor(t, "the pair limit line", func() bool { return sl.find("scan IP pairs threshold reached") != "" })
	waitFor(t, "the email limit line", func() bool { return sl.find("email limit reached for src: 10.1.1.1") != "" })
	waitFor(t, "the limit notice", func() bool { return len(mb.all()) == 2 })
	if m := mb.all()[1]; !strings.Contains(m, "Subject: [psad-status] reached email message limit for 10.1.1.1 on fw") {
		t.Errorf("notice mail:\n%s", m)
	}
}

// TestKillNotRunning: -K without a daemon says so in psad's words and
// succeeds, with and without a stale pid file.
func TestKillNotRunning(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "run", "psad.pid")
	e := newTestEnv(t, map[string]string{"PSAD_PID_FILE": pidFile, "HOSTNAME": "fw3"}, "")
	out, _, code := e.run(t, "-K")
	if want := "[-] psad: pid file " + pidFile + " does not exist for psad on fw3\n"; code != 0 || out != want {
		t.Errorf("no pid file: exit %d, %q, want %q", code, out, want)
	}
	must(t, os.MkdirAll(filepath.Dir(pidFile), 0o700))
	must(t, os.WriteFile(pidFile, []byte("999999\n"), 0o600))
	out, _, code = e.run(t, "-K")
	if want := "[-] psad: psad is not running on fw3\n"; code != 0 || out != want {
		t.Errorf("stale pid file: exit %d, %q, want %q", code, out, want)
	}
}
