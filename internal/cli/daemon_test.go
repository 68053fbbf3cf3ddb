package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/sig"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
	"github.com/miekg/dns"
)

// mailbox is an in-process SMTP server (emersion/go-smtp).
type mailbox struct {
	mu   sync.Mutex
	msgs []string
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }

type mailSession struct{ m *mailbox }

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Data(r io.Reader) error {
	d, err := io.ReadAll(r)
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, string(d))
	s.m.mu.Unlock()
	return err
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

func (m *mailbox) all() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.msgs...)
}

func startSMTP(t *testing.T) (*mailbox, int) {
	t.Helper()
	mb := &mailbox{}
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return mb, l.Addr().(*net.TCPAddr).Port
}

// syslogSink is a unix datagram socket standing in for /dev/log.
type syslogSink struct {
	mu    sync.Mutex
	lines []string
}

func startSyslog(t *testing.T, path string) *syslogSink {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	must(t, err)
	s := &syslogSink{}
	go func() {
		buf := make([]byte, 8192)
		for {
			n, _, err := c.ReadFromUnix(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.lines = append(s.lines, string(buf[:n]))
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close() })
	return s
}

func (s *syslogSink) find(sub string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// messages returns the lines' messages, without priority, time and tag.
func (s *syslogSink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.lines {
		if _, m, ok := strings.Cut(l, ": "); ok {
			out = append(out, m)
		}
	}
	return out
}

// startUpLines are psad's syslog lines of a start or a HUP in a test
// environment (our data files, which have no posf): the data files read,
// in psad's order, then the start-up line.
func startUpLines(t *testing.T, e *testEnv) []string {
	set, _, err := sig.ParseDefault(sig.Options{})
	must(t, err)
	return []string{
		"imported p0f-based passive OS fingerprinting signatures",
		"imported original Snort rules in " + filepath.Join(e.dir, "etc", "snort_rules") + "/ for reference info",
		"imported " + strconv.Itoa(set.Len()) + " psad Snort signatures from " + filepath.Join(e.dir, "etc", "signatures"),
		"imported valid icmp types and codes",
		"imported valid icmp6 types and codes",
		"starting up psad version " + Version,
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const daemonSYN = "%s fw kernel: %sIN=eth0 OUT= SRC=%s DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0 \n"

func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	must(t, err)
	for _, l := range lines {
		_, err = f.WriteString(l)
		must(t, err)
	}
	must(t, f.Close())
}

// TestDaemonFollowsLogAndAlerts: a scan appended to the followed log
// reaches syslog and the SMTP server within an interval; a hostile log
// prefix cannot add a mail header; a forged (non-kernel) line is ignored.
func TestDaemonFollowsLogAndAlerts(t *testing.T) {
	mb, port := startSMTP(t)
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "log.sock")
	sl := startSyslog(t, sockPath)
	logPath := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, []byte("old line that the daemon must not read\n"), 0o600))
	e := newTestEnv(t, map[string]string{
		"IPT_SYSLOG_FILE": logPath, "CHECK_INTERVAL": "1", "EMAIL_ADDRESSES": "admin@example.com",
		"SMTP_SERVER": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_STARTTLS": "no",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath, "HOSTNAME": "fw1",
		"PSAD_PID_FILE": filepath.Join(dir, "run", "psad.pid"),
		// psad writes per-source files from DL 1; psad-go from DL 2 by default.
		"PSAD_DIR_FILES_MIN_DL": "1",
	}, "")
	// A source directory of an earlier run: with IMPORT_OLD_SCANS N (and
	// no ENABLE_SCAN_ARCHIVE) psad deletes it at start.
	stale := filepath.Join(e.dir, "log", "203.0.113.99")
	must(t, os.MkdirAll(stale, 0o700))
	must(t, os.WriteFile(filepath.Join(stale, "danger_level"), []byte("3\n"), 0o600))
	staleTop := filepath.Join(e.dir, "log", "top_attackers")
	must(t, os.WriteFile(staleTop, []byte("203.0.113.99    3 100 \n"), 0o600))
	o, errs := argv.ParseArgs([]string{"-c", e.conf, "--no-daemon"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	o.NoDaemon = false // mail, not stdout; --no-daemon only keeps the test in the foreground
	cfg, err := loadConfig(o, io.Discard)
	must(t, err)
	var out, errb syncBuffer
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runDaemonCtx(ctx, o, cfg, Env{Stdout: &out, Stderr: &errb}, func() { close(ready) })
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("daemon did not stop")
		}
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatalf("daemon not ready: %s", errb.String())
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the previous run's %s is still there (%v)", stale, err)
	}
	if fi, err := os.Stat(staleTop); err != nil || fi.Size() != 0 {
		t.Errorf("the previous run's top_attackers was not emptied (%v)", err)
	}
	// A second daemon on the same pid file refuses to start.
	if code := runDaemonCtx(ctx, o, cfg, Env{Stdout: io.Discard, Stderr: io.Discard}, nil); code != 1 {
		t.Errorf("second daemon exit %d, want 1", code)
	}
	ts := time.Now().Format("Jan _2 15:04:05")
	var lines []string
	for p := 0; p < 6; p++ {
		lines = append(lines, fmt.Sprintf(daemonSYN, ts, "DROP\rBcc: evil@example.com\x1b[2J ", "10.1.1.1", 1000+p))
	}
	// A forged line from user space: tag "logger", not "kernel".
	lines = append(lines, strings.Replace(fmt.Sprintf(daemonSYN, ts, "DROP ", "10.9.9.9", 22), " kernel: ", " logger: ", 1))
	// A line no kernel writes (TTL above 255): kept in FW_ERROR_LOG.
	bad := strings.Replace(fmt.Sprintf(daemonSYN, ts, "DROP ", "10.8.8.8", 22), "TTL=50", "TTL=300", 1)
	lines = append(lines, bad)
	appendLines(t, logPath, lines...)

	waitFor(t, "the syslog scan line", func() bool { return sl.find("scan detected") != "" })
	line := sl.find("scan detected")
	if !strings.Contains(line, "scan detected (Nmap -sT or -sS scan): 10.1.1.1 -> 192.168.10.1 tcp: [1000-1005] flags: SYN tcp pkts: 6 DL: 1") {
		t.Errorf("syslog line %q", line)
	}
	if !strings.Contains(line, "psad") || !strings.HasPrefix(line, "<") {
		t.Errorf("syslog framing %q", line)
	}
	waitFor(t, "the alert mail", func() bool { return len(mb.all()) > 0 })
	msg := mb.all()[0]
	head, body, _ := strings.Cut(strings.ReplaceAll(msg, "\r\n", "\n"), "\n\n")
	if strings.Contains(head, "evil@example.com") || strings.Contains(strings.ToLower(head), "\nbcc:") {
		t.Errorf("a log prefix reached the mail headers:\n%s", head)
	}
	if !strings.Contains(head, "10.1.1.1") || !strings.Contains(body, "Danger level: [1] (out of 5)") {
		t.Errorf("mail:\n%s", msg)
	}
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(strings.ToLower(l), "bcc:") {
			t.Errorf("header-like line in the body: %q", l)
		}
	}
	if sl.find("10.9.9.9") != "" || len(mb.all()) != 1 {
		t.Errorf("the forged line was acted on")
	}
	if !strings.Contains(errb.String(), "not tagged by the kernel") {
		t.Errorf("forged line not reported: %s", errb.String())
	}
	errLog := filepath.Join(e.dir, "log", "errs", "fwerrorlog")
	waitFor(t, "the malformed line in fwerrorlog", func() bool {
		data, _ := os.ReadFile(errLog)
		return string(data) == bad
	})
	// The per-source alert file psad keeps.
	if _, err := os.Stat(filepath.Join(e.dir, "log", "10.1.1.1", "192.168.10.1_email_alert")); err != nil {
		t.Error(err)
	}

	// psad's files under PSAD_DIR, written right after the batch's alerts.
	waitFor(t, "top_attackers", func() bool {
		fi, err := os.Stat(filepath.Join(e.dir, "log", "top_attackers"))
		return err == nil && fi.Size() > 0
	})
	for name, want := range map[string]string{
		"top_attackers":                    "10.1.1.1        1 6 ",
		"top_ports":                        "tcp 1000  1",
		"packet_ctr":                       "     tcp: 6",
		"10.1.1.1/192.168.10.1_packet_ctr": "INPUT_eth0_tcp:  6 [1000-1005]",
		"10.1.1.1/danger_level":            "1",
	} {
		data, err := os.ReadFile(filepath.Join(e.dir, "log", name))
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s: %v, want a line with %q:\n%s", name, err, want, data)
		}
	}

	// psad -S asks the running daemon for its report.
	st, sterr, code := e.run(t, "-S")
	if code != 0 || !strings.Contains(st, fmt.Sprintf("[+] psad (pid: %d)", os.Getpid())) ||
		!strings.Contains(st, "    Command line arguments: -c "+e.conf+" --no-daemon") ||
		!strings.Contains(st, "SRC:  10.1.1.1, DL: 1, Dsts: 1, Pkts: 6,") || !strings.Contains(st, "[+] These results are available in:") {
		t.Errorf("-S: exit %d\n%s%s", code, st, sterr)
	}
	checkStatusGolden(t, "status-running.txt", st, e)
	if st, _, _ := e.run(t, "--status-summary"); strings.Contains(st, "IP Status Detail") || !strings.Contains(st, "Top 25 attackers") {
		t.Errorf("--status-summary:\n%s", st)
	}
	if st, _, _ := e.run(t, "-S", "--status-dl", "2"); strings.Contains(st, "SRC:  10.1.1.1") {
		t.Errorf("--status-dl 2 lists a DL 1 source:\n%s", st)
	}
	// psad -H: the daemon re-reads its configuration and keeps its state.
	if out, _, code := e.run(t, "-H"); code != 0 || !strings.Contains(out, "HUP signal sent") {
		t.Errorf("-H: exit %d %s", code, out)
	}
	// psad 2.4.6 logs the data files it read, then the start-up line;
	// after a HUP it logs the HUP first.
	want := startUpLines(t, e)
	m := sl.messages()
	if i := slices.Index(m, want[len(want)-1]); i < len(want)-1 || !slices.Equal(m[i+1-len(want):i+1], want) {
		t.Errorf("syslog at start:\n%s\nwant it to end with:\n%s", strings.Join(m[:max(i+1, 0)], "\n"), strings.Join(want, "\n"))
	}
	var hup []string
	waitFor(t, "the HUP syslog lines", func() bool {
		m := sl.messages()
		i := slices.Index(m, "received HUP signal, re-importing psad.conf")
		if i < 0 || !slices.Contains(m[i:], want[len(want)-1]) {
			return false
		}
		hup = m[i+1 : i+1+slices.Index(m[i:], want[len(want)-1])]
		return true
	})
	if !slices.Equal(hup, want) {
		t.Errorf("syslog after the HUP:\n%s\nwant:\n%s", strings.Join(hup, "\n"), strings.Join(want, "\n"))
	}
	// psad -U: the daemon writes its state.
	if out, _, code := e.run(t, "-U"); code != 0 || !strings.Contains(out, "USR1 signal sent") {
		t.Errorf("-U: exit %d %s", code, out)
	}
	dump := filepath.Join(e.dir, "log", "scan_hash."+strconv.Itoa(os.Getpid()))
	waitFor(t, "the USR1 dump", func() bool {
		data, _ := os.ReadFile(dump)
		return strings.Contains(string(data), "SRC:  10.1.1.1, DL: 1")
	})
	if st, _, _ := e.run(t, "-S"); !strings.Contains(st, "SRC:  10.1.1.1, DL: 1") {
		t.Errorf("state lost after HUP:\n%s", st)
	}
}

// checkStatusGolden compares -S output with a golden file after
// replacing what changes between runs (pid, CPU, memory, start time,
// temporary paths).
func checkStatusGolden(t *testing.T, name, got string, e *testEnv) {
	t.Helper()
	got = strings.ReplaceAll(got, e.dir, "$TMP")
	got = regexp.MustCompile(`\(pid: \d+\)  %CPU: \S+  %MEM: \S+`).ReplaceAllString(got, "(pid: PID)  %CPU: CPU  %MEM: MEM")
	got = regexp.MustCompile(`Running since: .*`).ReplaceAllString(got, "Running since: TIME")
	golden := filepath.Join("testdata", "golden", name)
	if *update {
		must(t, os.WriteFile(golden, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("-S output differs from %s:\n%s", golden, lineDiff(string(want), got))
	}
}

// TestStatusWithoutDaemon: -S with no daemon prints psad's message and
// exits 1.
func TestStatusWithoutDaemon(t *testing.T) {
	e := newTestEnv(t, nil, "")
	out, _, code := e.run(t, "-S")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	checkStatusGolden(t, "status-stopped.txt", out, e)
}

// TestDaemonResumesAfterRestart: lines written while the daemon is
// stopped are read after it starts again, and lines read before are not
// read twice (the saved input position).
func TestDaemonResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "log.sock")
	sl := startSyslog(t, sockPath)
	logPath := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, nil, 0o600))
	e := newTestEnv(t, map[string]string{
		"IPT_SYSLOG_FILE": logPath, "CHECK_INTERVAL": "1", "ALERTING_METHODS": "noemail",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath,
		"PSAD_PID_FILE": filepath.Join(dir, "run", "psad.pid"), "PSAD_FIFO_DIR": filepath.Join(dir, "lib"),
	}, "")
	start := func() (stop func()) { return startDaemon(t, e.conf, Env{}) }
	ts := time.Now().Format("Jan _2 15:04:05")
	batch := func(from int) (ls []string) {
		for p := from; p < from+6; p++ {
			ls = append(ls, fmt.Sprintf(daemonSYN, ts, "DROP ", "10.2.2.2", p))
		}
		return ls
	}
	stop := start()
	appendLines(t, logPath, batch(2000)...)
	waitFor(t, "the first scan line", func() bool { return sl.find("[2000-2005]") != "" })
	stop()
	appendLines(t, logPath, batch(2006)...) // written while stopped
	stop = start()
	defer stop()
	waitFor(t, "the scan line after restart", func() bool { return sl.find("[2006-2011]") != "" })
	if l := sl.find("[2006-2011]"); !strings.Contains(l, "tcp pkts: 6 ") {
		t.Errorf("after restart the batch should hold exactly the 6 new lines: %q", l)
	}
}

// BenchmarkAlertLatency measures the time from a scan's last line being
// appended to the followed log to its "scan detected" syslog line, with
// CHECK_INTERVAL 1 (the batch period bounds it); it reports the median
// and the worst of b.N scans.
func BenchmarkAlertLatency(b *testing.B) {
	t := &testing.T{}
	dir := b.TempDir()
	sockPath := filepath.Join(dir, "log.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	arrived := make(chan string, 64)
	go func() {
		buf := make([]byte, 8192)
		for {
			n, _, err := c.ReadFromUnix(buf)
			if err != nil {
				return
			}
			if l := string(buf[:n]); strings.Contains(l, "scan detected") {
				arrived <- l
			}
		}
	}()
	logPath := filepath.Join(dir, "messages")
	os.WriteFile(logPath, nil, 0o600)
	e := newTestEnv(t, map[string]string{"IPT_SYSLOG_FILE": logPath, "CHECK_INTERVAL": "1", "ALERTING_METHODS": "noemail",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath, "PSAD_PID_FILE": filepath.Join(dir, "psad.pid")}, "")
	startDaemon(b, e.conf, Env{})
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts := time.Now().Format("Jan _2 15:04:05")
		var lines []string
		for p := 0; p < 5; p++ {
			lines = append(lines, fmt.Sprintf(daemonSYN, ts, "DROP ", fmt.Sprintf("10.5.%d.%d", i/250, i%250+1), 100+p))
		}
		start := time.Now()
		appendLines(t, logPath, lines...)
		select {
		case <-arrived:
			lat = append(lat, time.Since(start))
		case <-time.After(5 * time.Second):
			b.Fatal("no alert within 5 s")
		}
		// Start the next scan at a random point of the batch period.
		time.Sleep(time.Duration(i%7) * 97 * time.Millisecond)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "ms-median")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "ms-p99")
}

// TestDaemonImportsOldScans: with IMPORT_OLD_SCANS Y a restarted daemon
// continues the scan state of the previous run.
func TestDaemonImportsOldScans(t *testing.T) {
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "log.sock")
	sl := startSyslog(t, sockPath)
	logPath := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, nil, 0o600))
	e := newTestEnv(t, map[string]string{
		"IPT_SYSLOG_FILE": logPath, "CHECK_INTERVAL": "1", "ALERTING_METHODS": "noemail", "IMPORT_OLD_SCANS": "Y",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath,
		"PSAD_PID_FILE": filepath.Join(dir, "run", "psad.pid"), "PSAD_FIFO_DIR": filepath.Join(dir, "lib"),
	}, "")
	run := func(lines []string, want string) {
		stop := startDaemon(t, e.conf, Env{})
		appendLines(t, logPath, lines...)
		waitFor(t, want, func() bool { return sl.find(want) != "" })
		stop()
	}
	ts := time.Now().Format("Jan _2 15:04:05")
	var first, second []string
	for p := 0; p < 10; p++ {
		first = append(first, fmt.Sprintf(daemonSYN, ts, "DROP ", "10.3.3.3", 3000+p))
		second = append(second, fmt.Sprintf(daemonSYN, ts, "DROP ", "10.3.3.3", 3010+p))
	}
	run(first, "[3000-3009]")
	// 10 + 10 packets reach DANGER_LEVEL2 (15) only if the first run's 10
	// were kept.
	run(second, "DL: 2")
	for _, l := range []string{"imported 0 scanning IP addresses from previous psad instance", "imported 1 scanning IP addresses from previous psad instance"} {
		if sl.find(l) == "" {
			t.Errorf("no syslog line %q", l)
		}
	}
}

// TestDaemonRetiresEvictedSources: a source evicted for MAX_SCAN_SOURCES
// takes its directory under PSAD_DIR with it, here into the scan archive
// (ENABLE_SCAN_ARCHIVE), while the source that took its place keeps its
// own.
func TestDaemonRetiresEvictedSources(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "archive")
	e, logPath, sl := syslogDaemonEnv(t, map[string]string{
		"CHECK_INTERVAL": "1", "ALERTING_METHODS": "noemail",
		"MAX_SCAN_SOURCES": "1", "PSAD_DIR_FILES_MIN_DL": "1",
		"ENABLE_SCAN_ARCHIVE": "Y", "SCAN_DATA_ARCHIVE_DIR": archive, "MIN_ARCHIVE_DANGER_LEVEL": "1",
	}, "")
	stop := startDaemon(t, e.conf, Env{})
	defer stop()
	ts := time.Now().Format("Jan _2 15:04:05")
	scan := func(src string) {
		var lines []string
		for p := 0; p < 6; p++ {
			lines = append(lines, fmt.Sprintf(daemonSYN, ts, "DROP ", src, 1000+p))
		}
		appendLines(t, logPath, lines...)
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	first, second := filepath.Join(e.dir, "log", "10.1.1.1"), filepath.Join(e.dir, "log", "10.2.2.2")
	scan("10.1.1.1")
	waitFor(t, "10.1.1.1's files", func() bool { return exists(filepath.Join(first, "danger_level")) })
	scan("10.2.2.2") // evicts 10.1.1.1
	waitFor(t, "10.2.2.2's files", func() bool { return exists(filepath.Join(second, "danger_level")) })
	waitFor(t, "10.1.1.1's directory in the archive", func() bool {
		return !exists(first) && exists(filepath.Join(archive, "10.1.1.1", "danger_level"))
	})
	if !exists(filepath.Join(second, "danger_level")) || exists(filepath.Join(archive, "10.2.2.2")) {
		t.Error("the source still tracked lost its directory")
	}
	if sl.find("10.1.1.1") == "" {
		t.Error("no alert for 10.1.1.1 before it was evicted")
	}
}

func freePort(t *testing.T, network string) string {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		must(t, err)
		defer c.Close()
		return c.LocalAddr().String()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().String()
}

// TestDaemonSyslogListener: log-server mode. RFC 3164 over UDP and RFC
// 5424 over TCP reach detection; garbage and non-kernel messages are
// counted and do not stop the listener.
func TestDaemonSyslogListener(t *testing.T) {
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "log.sock")
	sl := startSyslog(t, sockPath)
	udpAddr, tcpAddr, metricsAddr := freePort(t, "udp"), freePort(t, "tcp"), freePort(t, "tcp")
	e := newTestEnv(t, map[string]string{
		"IPT_SYSLOG_FILE": filepath.Join(dir, "unused"), "CHECK_INTERVAL": "1", "ALERTING_METHODS": "noemail",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath,
		"SYSLOG_LISTEN_UDP": udpAddr, "SYSLOG_LISTEN_TCP": tcpAddr,
		"PSAD_PID_FILE": filepath.Join(dir, "run", "psad.pid"), "PSAD_FIFO_DIR": filepath.Join(dir, "lib"),
		"PSAD_DIR_FILES_MIN_DL": "1", "METRICS_ADDRESS": metricsAddr,
	}, "")
	startDaemon(t, e.conf, Env{})
	logLine := "DROP IN=eth0 OUT= SRC=%s DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0"

	u, err := net.Dial("udp", udpAddr)
	must(t, err)
	defer u.Close()
	u.Write([]byte{0xff, 0x00, 0x13, 0x37}) // garbage
	u.Write([]byte("<13>" + time.Now().Format(time.Stamp) + " fw5 logger: " + fmt.Sprintf(logLine, "10.6.6.6", 22)))
	for p := 0; p < 5; p++ {
		u.Write([]byte("<4>" + time.Now().Format(time.Stamp) + " fw5 kernel: " + fmt.Sprintf(logLine, "10.4.4.4", 4000+p)))
	}
	waitFor(t, "a scan sent over UDP", func() bool { return sl.find("10.4.4.4 -> 192.168.10.1 tcp: [4000-4004]") != "" })
	// The message tagged logger is counted as forged; nothing was lost.
	fams := scrape(t, metricsAddr)
	for _, w := range []struct {
		result string
		value  float64
	}{{"forged", 1}, {"lost", 0}} {
		if v, ok := sample(fams, "psad_log_lines_total", "input", "listener", "result", w.result); !ok || v != w.value {
			t.Errorf("psad_log_lines_total{input=listener,result=%s} = %v (present: %v), want %v", w.result, v, ok, w.value)
		}
	}

	c, err := net.Dial("tcp", tcpAddr)
	must(t, err)
	defer c.Close()
	for p := 0; p < 5; p++ {
		msg := "<4>1 " + time.Now().Format("2006-01-02T15:04:05.000000Z07:00") + " fw6 kernel - - - " + fmt.Sprintf(logLine, "10.4.4.5", 5000+p)
		fmt.Fprintf(c, "%d %s", len(msg), msg) // octet counting
	}
	waitFor(t, "a scan sent over TCP", func() bool { return sl.find("10.4.4.5 -> 192.168.10.1 tcp: [5000-5004]") != "" })
	if sl.find("10.6.6.6") != "" {
		t.Error("a message tagged logger was acted on")
	}
}

// TestDaemonSyslogListenerConnections: lines arriving on several TCP
// connections at once, which the listener hands over from one goroutine
// per connection, each reach the scan state whole: every source's scan
// shows its own port range in its alert.
func TestDaemonSyslogListenerConnections(t *testing.T) {
	const conns, srcs, pkts = 4, 25, 5
	dir := t.TempDir()
	sockPath := filepath.Join(dir, "log.sock")
	sl := startSyslog(t, sockPath)
	tcpAddr := freePort(t, "tcp")
	e := newTestEnv(t, map[string]string{
		"IPT_SYSLOG_FILE": filepath.Join(dir, "unused"), "CHECK_INTERVAL": "1", "ALERTING_METHODS": "noemail",
		"SYSLOG_SERVER_NETWORK": "unixgram", "SYSLOG_SERVER": sockPath, "SYSLOG_LISTEN_TCP": tcpAddr,
		"PSAD_PID_FILE": filepath.Join(dir, "run", "psad.pid"), "PSAD_FIFO_DIR": filepath.Join(dir, "lib"),
	}, "")
	startDaemon(t, e.conf, Env{})
	logLine := "DROP IN=eth0 OUT= SRC=10.7.%d.%d DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0"
	var wg sync.WaitGroup
	for c := range conns {
		wg.Go(func() {
			conn, err := net.Dial("tcp", tcpAddr)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			w := bufio.NewWriter(conn)
			for p := range pkts {
				for s := range srcs {
					msg := "<4>1 " + time.Now().Format("2006-01-02T15:04:05.000000Z07:00") + " fw" + strconv.Itoa(c) + " kernel - - - " +
						fmt.Sprintf(logLine, c, s, 1000*(c+1)+10*s+p)
					fmt.Fprintf(w, "%d %s", len(msg), msg)
				}
			}
			if err := w.Flush(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for c := range conns {
		for s := range srcs {
			lo := 1000*(c+1) + 10*s
			want := fmt.Sprintf("10.7.%d.%d -> 192.168.10.1 tcp: [%d-%d]", c, s, lo, lo+pkts-1)
			waitFor(t, want, func() bool { return sl.find(want) != "" })
		}
	}
}

// TestDaemonLookups: reverse DNS and whois (servers started by the test)
// reach the alert mail, and hostile whois text cannot add a header or a
// mail command.
func TestDaemonLookups(t *testing.T) {
	mb, port := startSMTP(t)
	// whois server: one hostile record.
	wl, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer wl.Close()
	go func() {
		for {
			c, err := wl.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "NetRange: 10.0.0.0 - 10.255.255.255\r\nOrgName: Test Org\r\nBcc: evil@example.com\r\n~! touch /tmp/pwned\r\n\x1b[2Jdone\r\n")
			}()
		}
	}()
	// DNS server: PTR for 10.1.1.1.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	must(t, err)
	dsrv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if len(r.Question) == 1 && r.Question[0].Name == "1.1.1.10.in-addr.arpa." {
			m.Answer = append(m.Answer, &dns.PTR{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: "scanner.example.net."})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go dsrv.ActivateAndServe()
	defer dsrv.Shutdown()

	dir := t.TempDir()
	logPath := filepath.Join(dir, "messages")
	must(t, os.WriteFile(logPath, nil, 0o600))
	e := newTestEnv(t, map[string]string{
		"IPT_SYSLOG_FILE": logPath, "CHECK_INTERVAL": "1", "EMAIL_ADDRESSES": "admin@example.com",
		"SMTP_SERVER": "127.0.0.1", "SMTP_PORT": strconv.Itoa(port), "SMTP_STARTTLS": "no",
		"ALERTING_METHODS": "nosyslog", "ENABLE_DNS_LOOKUPS": "Y", "ENABLE_WHOIS_LOOKUPS": "Y",
		"DNS_SERVER": pc.LocalAddr().String(), "WHOIS_SERVER": wl.Addr().String(),
		"PSAD_PID_FILE": filepath.Join(dir, "run", "psad.pid"), "PSAD_FIFO_DIR": filepath.Join(dir, "lib"),
	}, "")
	startDaemon(t, e.conf, Env{})
	ts := time.Now().Format("Jan _2 15:04:05")
	scanFrom := func(first int) {
		var ls []string
		for p := first; p < first+5; p++ {
			ls = append(ls, fmt.Sprintf(daemonSYN, ts, "DROP ", "10.1.1.1", p))
		}
		appendLines(t, logPath, ls...)
	}
	// The first alert starts the lookups; a later one carries them.
	scanFrom(100)
	waitFor(t, "the first mail", func() bool { return len(mb.all()) >= 1 })
	var withNames string
	for i := 0; i < 10 && withNames == ""; i++ {
		time.Sleep(300 * time.Millisecond)
		scanFrom(200 + 10*i)
		waitFor(t, "another mail", func() bool { return len(mb.all()) >= i+2 })
		for _, m := range mb.all() {
			if strings.Contains(m, "scanner.example.net") && strings.Contains(m, "OrgName: Test Org") {
				withNames = m
			}
		}
	}
	if withNames == "" {
		t.Fatalf("no mail carried the DNS name and whois record:\n%s", strings.Join(mb.all(), "\n----\n"))
	}
	head, body, _ := strings.Cut(strings.ReplaceAll(withNames, "\r\n", "\n"), "\n\n")
	if strings.Contains(head, "evil@") {
		t.Errorf("whois text reached the headers:\n%s", head)
	}
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "~") || strings.HasPrefix(strings.ToLower(l), "bcc:") || strings.ContainsRune(l, 0x1b) {
			t.Errorf("hostile whois line survived: %q", l)
		}
	}
	// psad keeps the record in the source's directory.
	whois := filepath.Join(e.dir, "log", "10.1.1.1", "10.1.1.1_whois")
	waitFor(t, "the whois file", func() bool {
		data, _ := os.ReadFile(whois)
		return strings.Contains(string(data), "OrgName: Test Org")
	})
}

// startDaemon runs the daemon in-process with the test's config and any
// further options until the returned stop function is called (or the test
// ends).
func startDaemon(tb testing.TB, conf string, env Env, args ...string) (stop func()) {
	tb.Helper()
	o, errs := argv.ParseArgs(append([]string{"-c", conf}, args...))
	if len(errs) > 0 {
		tb.Fatal(errs)
	}
	cfg, err := loadConfig(o, io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- runDaemonCtx(ctx, o, cfg, env, func() { close(ready) }) }()
	select {
	case <-ready:
	case code := <-done:
		cancel()
		tb.Fatalf("daemon exited with %d before it was ready", code)
	case <-time.After(10 * time.Second):
		cancel()
		tb.Fatal("daemon not ready within 10 s")
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				tb.Error("daemon did not stop")
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}
