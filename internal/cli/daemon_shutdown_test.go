package cli

import (
	"context"
	"fmt"
	"github.com/psadgo/psad/internal/alert/mail/mailtest"
	"github.com/psadgo/psad/internal/argv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDaemonStopsDespiteHungMailServer: with an alert mail stuck on a
// mail server that accepted the connection and never answers, TERM still
// stops the daemon within a few seconds, and the log says what was
// dropped.
func TestDaemonStopsDespiteHungMailServer(t *testing.T) {
	port := mailtest.Silent(t)
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "log.sock")
	sl := startSyslog(t, sockPath)
	logPath := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, nil, 0o600))
	e := newTestEnv(t, map[string]string{
		"IPT_SYSLOG_FILE": logPath, "CHECK_INTERVAL": "1", "EMAIL_ADDRESSES": "admin@example.com",
		"SMTP_SERVER": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_STARTTLS": "no",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath,
		"PSAD_PID_FILE": filepath.Join(dir, "run", "psad.pid"),
	}, "")
	o, errs := argv.ParseArgs([]string{"-c", e.conf})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cfg, err := loadConfig(o, io.Discard)
	must(t, err)
	var errb syncBuffer
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runDaemonCtx(ctx, o, cfg, Env{Stdout: io.Discard, Stderr: &errb}, func() { close(ready) })
	}()
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("daemon exited with %d: %s", code, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("daemon not ready within 10 s: %s", errb.String())
	}
	ts := time.Now().Format("Jan _2 15:04:05")
	var lines []string
	for p := range 6 {
		lines = append(lines, fmt.Sprintf(daemonSYN, ts, "DROP ", "10.7.7.7", 7000+p))
	}
	appendLines(t, logPath, lines...)
	waitFor(t, "the syslog scan line", func() bool { return sl.find("10.7.7.7") != "" })

	start := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not stop within 10 s")
	}
	took := time.Since(start)
	t.Logf("stopped in %v", took)
	if took > 5*time.Second {
		t.Errorf("daemon took %v to stop", took)
	}
	log := errb.String()
	if !strings.Contains(log, "alert output not delivered") || !strings.Contains(log, "dropped=\"1 mails") {
		t.Errorf("the log does not say the mail was dropped:\n%s", log)
	}
}
