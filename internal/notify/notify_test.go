package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/psadgo/psad/internal/alert/mail/mailtest"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/psadgo/psad/internal/alert/mail"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

var t0 = time.Date(2026, 11, 21, 19, 18, 20, 0, time.UTC)

// scanner feeds n SYN packets from src to ports 1000.. of 192.168.10.1
// into the tracker (5 packets make DL 1, 15 DL 2 with the defaults).
func scanner(t *scan.Tracker, src string, n int) {
	for i := range n {
		var p fwlog.Packet
		p.Reset()
		p.Src = netip.MustParseAddr(src)
		p.Dst = netip.MustParseAddr("192.168.10.1")
		p.Proto, p.HasProto = fwlog.ProtoTCP, true
		p.Chain = fwlog.ChainInput
		p.Intf, p.In = []byte("eth1"), []byte("eth1")
		p.Prefix = []byte("DROP")
		p.Host = []byte("fw")
		p.SrcPort, p.DstPort, p.Flags = 40000, 1000+i, fwlog.FlagSYN
		t.Observe(t0, &p)
	}
}

func closed(t *scan.Tracker) *scan.Closed {
	return &scan.Closed{Now: t0, Tracker: t, Sources: t.EndBatch()}
}

// syslogRec records syslog messages.
type syslogRec struct {
	mu    sync.Mutex
	lines []string
}

func (s *syslogRec) Send(msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, msg)
	return nil
}

func (s *syslogRec) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// mailbox is an in-process SMTP server (emersion/go-smtp) that keeps
// each message's recipients and data.
type mailbox struct {
	mu   sync.Mutex
	msgs []received
}

type received struct {
	to   []string
	data string
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{m: m}, nil }

type session struct {
	m   *mailbox
	cur received
}

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	d, err := io.ReadAll(r)
	s.cur.data = string(d)
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, s.cur)
	s.m.mu.Unlock()
	s.cur = received{}
	return err
}
func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

func (m *mailbox) all() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.msgs...)
}

func startSMTP(t *testing.T) (*mailbox, mail.Sender) {
	t.Helper()
	mb := &mailbox{}
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return mb, mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, StartTLS: "no"})
}

// silentSMTP accepts connections and never says a word, like a mail
// server that hangs.
func silentSMTP(t *testing.T) mail.Sender {
	t.Helper()
	port := mailtest.Silent(t)
	return mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: port, StartTLS: "no", Timeout: time.Minute})
}

func baseConfig(t *testing.T) Config {
	return Config{MinDL: 1, EmailDL: 1, AlertAll: true, From: "psad@fw", To: []string{"root@fw"},
		AlertPrefix: "[psad-alert]", StatusPrefix: "[psad-status]", Hostname: "fw", Version: "2.4.6",
		Dir: t.TempDir(), Clock: func() time.Time { return t0 }}
}

// TestCloseBoundedBySilentMailServer is the shutdown contract: with the
// mail server hung, Close gives the queue its context's time, cuts the
// send in flight off, and says what it dropped; the syslog lines and
// files queued around the mail still go out.
func TestCloseBoundedBySilentMailServer(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Mailer = silentSMTP(t)
	sl := &syslogRec{}
	cfg.Syslog = sl
	n := New(cfg, nil)
	tr := scan.NewTracker(scan.DefaultSettings())
	srcs := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"}
	for _, s := range srcs {
		scanner(tr, s, 5)
	}
	n.Batch(closed(tr))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	sum := n.Close(ctx)
	took := time.Since(start)
	t.Logf("Close took %v; summary %+v", took, sum)
	if took > 5*time.Second {
		t.Errorf("Close took %v with a 3s context", took)
	}
	if sum.Dropped.Mails != len(srcs) {
		t.Errorf("dropped %d mails, want %d (one cut off, the rest never tried)", sum.Dropped.Mails, len(srcs))
	}
	if sum.Done.SyslogLines != len(srcs) || sum.Done.Files != 4*len(srcs) {
		t.Errorf("done %+v, want %d syslog lines and %d files: the hung mail must not hold them", sum.Done, len(srcs), 4*len(srcs))
	}
	if !sum.Failed.zero() {
		t.Errorf("failed %+v, want none", sum.Failed)
	}
	if got := len(sl.all()); got != len(srcs) {
		t.Errorf("%d syslog lines sent, want %d", got, len(srcs))
	}
	// After Close, output is refused and counted.
	n.Batch(closed(tr))
	if s := n.Summary(); s.Dropped.Mails != sum.Dropped.Mails {
		t.Errorf("a batch after Close queued nothing but changed mail drops to %d", s.Dropped.Mails)
	}
}

// blockingSyslog holds every Send until release is closed, saying on
// entered each time one begins (the first 16 times).
type blockingSyslog struct{ entered, release chan struct{} }

func newBlockingSyslog() *blockingSyslog {
	return &blockingSyslog{entered: make(chan struct{}, 16), release: make(chan struct{})}
}

func (b *blockingSyslog) Send(string) error {
	select {
	case b.entered <- struct{}{}:
	default:
	}
	<-b.release
	return nil
}

// TestBatchNeverWaits: with the worker stuck and the queue full, Batch
// returns at once and counts what it dropped.
func TestBatchNeverWaits(t *testing.T) {
	cfg := baseConfig(t)
	bs := newBlockingSyslog()
	cfg.Syslog = bs
	cfg.QueueLen = 1
	cfg.Dir = ""
	n := New(cfg, nil)
	tr := scan.NewTracker(scan.DefaultSettings())
	scanner(tr, "10.0.0.1", 5)
	n.Batch(closed(tr))
	<-bs.entered // the worker holds the first line; the queue is empty
	for _, s := range []string{"10.0.0.2", "10.0.0.3", "10.0.0.4"} {
		scanner(tr, s, 5)
	}
	n.Batch(closed(tr)) // one line fits, two are dropped
	if got := n.Summary().Dropped.SyslogLines; got != 2 {
		t.Errorf("dropped %d syslog lines, want 2", got)
	}
	close(bs.release)
	sum := n.Close(context.Background())
	if sum.Done.SyslogLines != 2 || sum.Dropped.SyslogLines != 2 {
		t.Errorf("summary %+v, want 2 sent and 2 dropped", sum)
	}
}

// TestReloadCarriesState: a Notifier made from a new Config follows the
// new EMAIL_ADDRESSES and MIN_DANGER_LEVEL, and keeps EMAIL_LIMIT counts.
func TestReloadCarriesState(t *testing.T) {
	mb, sender := startSMTP(t)
	cfg := baseConfig(t)
	cfg.Mailer, cfg.EmailLimit, cfg.LimitMsg = sender, 1, true
	cfg.To = []string{"old@fw"}
	n1 := New(cfg, nil)
	tr := scan.NewTracker(scan.DefaultSettings())
	scanner(tr, "10.0.0.1", 20) // DL 2
	scanner(tr, "10.0.0.2", 5)  // DL 1
	n1.Batch(closed(tr))

	cfg2 := cfg
	cfg2.To, cfg2.MinDL = []string{"new@fw"}, 2
	sl := &syslogRec{}
	cfg2.Syslog = sl
	n2 := New(cfg2, n1)
	if s := n1.Close(context.Background()); s.Done.Mails != 2 {
		t.Fatalf("before the reload: %+v, want 2 mails", s)
	}
	scanner(tr, "10.0.0.1", 1)
	scanner(tr, "10.0.0.2", 1)
	scanner(tr, "10.0.0.3", 20) // DL 2, new
	n2.Batch(closed(tr))
	if s := n2.Close(context.Background()); s.Done.Mails != 2 || !s.Failed.zero() || !s.Dropped.zero() {
		t.Fatalf("after the reload: %+v, want 2 mails", s)
	}

	var got []string
	for _, m := range mb.all() {
		subj := ""
		for l := range strings.SplitSeq(m.data, "\n") {
			if s, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "Subject: "); ok {
				subj = s
			}
		}
		got = append(got, strings.Join(m.to, ",")+" "+subj)
	}
	want := []string{
		"old@fw [psad-alert] DL2 src: 10.0.0.1 dst: 192.168.10.1",
		"old@fw [psad-alert] DL1 src: 10.0.0.2 dst: 192.168.10.1",
		"new@fw [psad-status] reached email message limit for 10.0.0.1 on fw",
		"new@fw [psad-alert] DL2 src: 10.0.0.3 dst: 192.168.10.1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mails:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	limit := 0
	for _, l := range sl.all() {
		if strings.Contains(l, "10.0.0.2") {
			t.Errorf("syslog after the reload names a DL 1 source below MIN_DANGER_LEVEL 2: %q", l)
		}
		if l == "email limit reached for src: 10.0.0.1" {
			limit++
		}
	}
	if limit != 1 {
		t.Errorf("psad's email limit syslog line %d times, want once:\n%s", limit, strings.Join(sl.all(), "\n"))
	}
}

// TestFileErrorsLogged: a PSAD_DIR that cannot be made is logged with its
// path and counted, not ignored.
func TestFileErrorsLogged(t *testing.T) {
	cfg := baseConfig(t)
	blocker := filepath.Join(cfg.Dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Dir = filepath.Join(blocker, "psad")
	cfg.TopFiles = &TopFiles{Ports: 20, Sigs: 20, IPs: 20}
	var logBuf bytes.Buffer
	var mu sync.Mutex
	cfg.Log = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logBuf}, nil))
	n := New(cfg, nil)
	tr := scan.NewTracker(scan.DefaultSettings())
	scanner(tr, "10.0.0.1", 5)
	n.Batch(closed(tr))
	sum := n.Close(context.Background())
	if sum.Failed.Files != 4+5 {
		t.Errorf("failed files = %d, want 9 (4 per source, 5 top files)", sum.Failed.Files)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, dir := range []string{filepath.Join(cfg.Dir, "10.0.0.1"), cfg.Dir} {
		if !strings.Contains(logBuf.String(), "dir="+dir+" ") {
			t.Errorf("log does not name %s:\n%s", dir, logBuf.String())
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestReadProcNet(t *testing.T) {
	dir := t.TempDir()
	hdr := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	files := map[string]string{
		// 22 listening, 40000 an outgoing connection's local end.
		"tcp": hdr + "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n" +
			"   1: 0100007F:9C40 0100007F:0016 01 00000000:00000000 00:00000000 00000000     0        0 2\n",
		"tcp6": hdr + "   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3\n",
		// 53 bound; 5000 connected to a peer (a client).
		"udp": hdr + "  10: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4\n" +
			"  11: 0100007F:1388 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 5\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, err := ReadProcNet(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		proto        string
		port         int
		bound, known bool
	}{
		{"tcp", 22, true, true}, {"tcp", 443, true, true}, {"tcp", 40000, false, true},
		{"udp", 53, true, true}, {"udp", 5000, false, true}, {"icmp", 0, false, false},
	} {
		if b, k := p.Bound(c.proto, c.port); b != c.bound || k != c.known {
			t.Errorf("Bound(%s, %d) = %v, %v; want %v, %v", c.proto, c.port, b, k, c.bound, c.known)
		}
	}
	if _, err := ReadProcNet(t.TempDir()); err == nil {
		t.Error("ReadProcNet of an empty directory: no error")
	}
}

// TestDShield: packets given to Packet are mailed to DSHIELD_ALERT_EMAIL
// once the interval is up, with the email and counter files, and the
// "sent N lines" syslog line follows the mail. The collector survives a
// reload.
func TestDShield(t *testing.T) {
	mb, sender := startSMTP(t)
	cfg := baseConfig(t)
	cfg.Mailer, cfg.EmailDL = sender, 6 // no alert mail, only DShield's
	sl := &syslogRec{}
	cfg.Syslog = sl
	dir := t.TempDir()
	cfg.DShield = &DShield{UserID: "1234", Interval: time.Hour, To: "reports@dshield.example",
		EmailFile: filepath.Join(dir, "dshield.email"), CounterFile: filepath.Join(dir, "dshield.counter")}
	n1 := New(cfg, nil)
	tr := scan.NewTracker(scan.DefaultSettings())
	for i := range 3 {
		var p fwlog.Packet
		p.Reset()
		p.Src, p.Dst = netip.MustParseAddr("10.9.9.9"), netip.MustParseAddr("192.168.10.1")
		p.Proto, p.HasProto = fwlog.ProtoTCP, true
		p.Chain, p.Intf, p.In = fwlog.ChainInput, []byte("eth1"), []byte("eth1")
		p.SrcPort, p.DstPort, p.Flags = 40000, 2000+i, fwlog.FlagSYN
		tr.Observe(t0, &p)
		n1.Packet(t0, &p)
	}
	n1.Batch(closed(tr)) // not due yet
	n2 := New(cfg, n1)
	n1.Close(context.Background())
	b := closed(tr)
	b.Now = t0.Add(time.Hour)
	n2.Batch(b)
	sum := n2.Close(context.Background())
	if sum.Done.Mails != 1 || !sum.Failed.zero() || !sum.Dropped.zero() {
		t.Fatalf("summary %+v, want the one DShield mail", sum)
	}
	msgs := mb.all()
	if len(msgs) != 1 || msgs[0].to[0] != "reports@dshield.example" || strings.Count(msgs[0].data, "\t1234\t1\t10.9.9.9\t") != 3 {
		t.Fatalf("DShield mail: %+v", msgs)
	}
	if data, err := os.ReadFile(cfg.DShield.CounterFile); err != nil || string(data) != "total emails: 1\ntotal packets: 3\n" {
		t.Errorf("counter file: %q, %v", data, err)
	}
	if _, err := os.Stat(cfg.DShield.EmailFile); err != nil {
		t.Error(err)
	}
	lines := sl.all()
	if len(lines) == 0 || lines[len(lines)-1] != "sent 3 lines of log data to reports@dshield.example" {
		t.Errorf("syslog: %q", lines)
	}
}

// TestLowDLFloodWritesNoSourceFiles: a flood of sources that reach DL 1
// and no further (here five packets each, the DL 1 threshold) writes no
// directory under PSAD_DIR at the default PSAD_DIR_FILES_MIN_DL of 2,
// while one source at DL 2 in the same batch gets its files.
func TestLowDLFloodWritesNoSourceFiles(t *testing.T) {
	cfg := baseConfig(t)
	cfg.FilesMinDL = 2
	n := New(cfg, nil)
	tr := scan.NewTracker(scan.DefaultSettings())
	for i := range 500 {
		scanner(tr, netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}).String(), 5)
	}
	scanner(tr, "10.9.9.9", 15)
	b := closed(tr)
	dls := map[int]int{}
	for _, s := range b.Sources {
		dls[s.DL]++
	}
	if dls[1] != 500 || dls[2] != 1 {
		t.Fatalf("sources by DL: %v, want 500 at DL 1 and 1 at DL 2", dls)
	}
	n.Batch(b)
	n.Close(context.Background())
	ents, err := os.ReadDir(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range ents {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) != 1 || dirs[0] != "10.9.9.9" {
		t.Errorf("per-source directories %v, want only 10.9.9.9", dirs)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "10.9.9.9", "danger_level")); err != nil {
		t.Errorf("DL 2 source without its files: %v", err)
	}
}

// syslogCount counts syslog messages and keeps none.
type syslogCount struct{ n atomic.Int64 }

func (s *syslogCount) Send(string) error { s.n.Add(1); return nil }

// TestAlertedFloodIsFreed: the ALERT_ALL=N mark of every alerted pair
// must go with the pair when its source expires; the alert cycle's own
// memory once kept every pair a flood had ever alerted, and each pair
// its source.
func TestAlertedFloodIsFreed(t *testing.T) {
	const n = 5000
	cfg := baseConfig(t)
	cfg.AlertAll, cfg.Dir, cfg.Mailer = false, "", nil
	cfg.QueueLen = 2 * n // a line per source, none dropped however slow the worker
	sl := &syslogCount{}
	cfg.Syslog = sl
	nt := New(cfg, nil)
	defer nt.Close(context.Background())
	set := scan.DefaultSettings()
	set.ForgetBelowDL = 2 // PSAD_DIR_FILES_MIN_DL's default
	tr := scan.NewTracker(set)
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap()
	for i := range n {
		scanner(tr, netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}).String(), 5) // DL 1
	}
	nt.Batch(closed(tr))
	nt.Close(context.Background())
	if got := int(sl.n.Load()); got != n {
		t.Fatalf("%d syslog lines, want one per source (%d)", got, n)
	}
	flood := heap() - base
	tr.Expire(t0.Add(2*time.Hour), time.Hour)
	if tr.Sources() != 0 {
		t.Fatalf("%d sources left after expiry", tr.Sources())
	}
	left := heap() - base
	t.Logf("%d alerted sources: %d bytes, %d bytes after expiry", n, flood, left)
	if left > flood/4 {
		t.Errorf("%d of the flood's %d bytes still held after it expired, want at most a quarter", left, flood)
	}
	runtime.KeepAlive(nt)
	runtime.KeepAlive(tr)
}

// TestEmailCounters: every alert email counts for -S's "Email alerts"
// and is recorded in psad's email_ctr file, per source or, with
// ENABLE_EMAIL_LIMIT_PER_DST, per destination (summed for -S).
func TestEmailCounters(t *testing.T) {
	for _, perDst := range []bool{false, true} {
		_, sender := startSMTP(t)
		cfg := baseConfig(t)
		cfg.Mailer, cfg.LimitPerDst = sender, perDst
		n := New(cfg, nil)
		tr := scan.NewTracker(scan.DefaultSettings())
		scanner(tr, "10.0.0.1", 5)
		n.Batch(closed(tr))
		scanner(tr, "10.0.0.1", 1) // the same pair, alerted again (ALERT_ALL)
		n.Batch(closed(tr))
		scanner(tr, "10.0.0.2", 5) // no mail for 10.0.0.1 in this batch
		n.Batch(closed(tr))
		if s := n.Close(context.Background()); s.Done.Mails != 3 {
			t.Fatalf("per dst %v: %+v, want 3 mails", perDst, s)
		}
		want := map[string]int{"10.0.0.1": 2, "10.0.0.2": 1}
		for addr, count := range want {
			if got := n.EmailAlerts(tr.Source(netip.MustParseAddr(addr))); got != count {
				t.Errorf("per dst %v: EmailAlerts(%s) = %d, want %d", perDst, addr, got, count)
			}
			name := "email_ctr"
			if perDst {
				name = "192.168.10.1_email_ctr"
			}
			b, err := os.ReadFile(filepath.Join(cfg.Dir, addr, name))
			if err != nil || string(b) != fmt.Sprintf("%d\n", count) {
				t.Errorf("per dst %v: %s/%s = %q, %v; want %d", perDst, addr, name, b, err, count)
			}
		}
	}
}

// TestEmailCountsImported: with IMPORT_OLD_SCANS the counts start from
// the email_ctr files left in PSAD_DIR, so -S shows them and EMAIL_LIMIT
// goes on counting; files that are not counts are skipped.
func TestEmailCountsImported(t *testing.T) {
	for _, perDst := range []bool{false, true} {
		cfg := baseConfig(t)
		write := func(dir, name, data string) {
			if err := os.MkdirAll(filepath.Join(cfg.Dir, dir), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(cfg.Dir, dir, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write("10.0.0.1", "email_ctr", "4\n")
		write("10.0.0.1", "192.168.10.1_email_ctr", "2\n")
		write("10.0.0.3", "email_ctr", "many\n")
		write("10.0.0.3", "192.168.10.1_email_ctr", "-1\n")
		write("not-an-address", "email_ctr", "7\n")
		mb, sender := startSMTP(t)
		cfg.Mailer, cfg.LimitPerDst, cfg.EmailLimit, cfg.LimitMsg = sender, perDst, 3, false
		tr := scan.NewTracker(scan.DefaultSettings())
		scanner(tr, "10.0.0.1", 5)
		scanner(tr, "10.0.0.3", 5)
		for _, imp := range []bool{false, true} {
			cfg.ImportCounts = imp
			n := New(cfg, nil)
			want1 := map[bool]int{false: 4, true: 2}[perDst]
			if !imp {
				want1 = 0
			}
			if got := n.EmailAlerts(tr.Source(netip.MustParseAddr("10.0.0.1"))); got != want1 {
				t.Errorf("per dst %v, import %v: 10.0.0.1 has %d email alerts, want %d", perDst, imp, got, want1)
			}
			if got := n.EmailAlerts(tr.Source(netip.MustParseAddr("10.0.0.3"))); got != 0 {
				t.Errorf("per dst %v, import %v: 10.0.0.3 has %d email alerts from files that hold no count", perDst, imp, got)
			}
			n.Close(context.Background())
		}
		// EMAIL_LIMIT 3 counts on from the imported count: 10.0.0.1 gets
		// no more mail (at 4, or at 2 plus one), 10.0.0.3 its first.
		n := New(cfg, nil)
		before := len(mb.all())
		n.Batch(&scan.Closed{Now: t0, Tracker: tr, Sources: tr.EndBatch()})
		n.Batch(&scan.Closed{Now: t0, Tracker: tr, Sources: []*scan.Source{tr.Source(netip.MustParseAddr("10.0.0.1"))}})
		n.Close(context.Background())
		var to []string
		for _, m := range mb.all()[before:] {
			for l := range strings.SplitSeq(m.data, "\n") {
				if s, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), "Subject: "); ok {
					to = append(to, s)
				}
			}
		}
		want := []string{"[psad-alert] DL1 src: 10.0.0.3 dst: 192.168.10.1"}
		if perDst {
			want = []string{"[psad-alert] DL1 src: 10.0.0.1 dst: 192.168.10.1", "[psad-alert] DL1 src: 10.0.0.3 dst: 192.168.10.1"}
		}
		if strings.Join(to, "\n") != strings.Join(want, "\n") {
			t.Errorf("per dst %v: mails\n%s\nwant\n%s", perDst, strings.Join(to, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestSignaturesShownOnce: with SHOW_ALL_SIGNATURES N an alert lists
// only the matches no earlier alert listed, counted since, and leaves
// the signatures file alone when there are none; with Y every alert
// lists them all.
func TestSignaturesShownOnce(t *testing.T) {
	for _, all := range []bool{false, true} {
		cfg := baseConfig(t)
		sl := &syslogRec{}
		cfg.Syslog, cfg.SigSyslog, cfg.SigSyslogN, cfg.ShowAllSigs = sl, true, 10, all
		n := New(cfg, nil)
		tr := scan.NewTracker(scan.DefaultSettings())
		sigFile := filepath.Join(cfg.Dir, "10.0.0.1", "192.168.10.1_signatures")
		var counts []string
		hits := 0 // packets left to match signature 100
		tr.Inspect = func(_ *fwlog.Packet, _ *scan.Source, ins *scan.Inspection) {
			if hits > 0 {
				hits--
				ins.Sigs = append(ins.Sigs, scan.SigHit{ID: 100, Proto: "tcp", DL: 1, Rule: -1})
				ins.SigDL = 1
			}
		}
		cycle := func(addSig bool) {
			if addSig {
				hits = 2
			}
			scanner(tr, "10.0.0.1", 5)
			before := len(sl.all())
			n.Batch(closed(tr))
			n.Close(context.Background()) // waits for the files
			n = New(cfg, n)
			sigLines := 0
			for _, l := range sl.all()[before:] {
				if strings.Contains(l, "signature match") {
					sigLines++
				}
			}
			b, _ := os.ReadFile(sigFile)
			fields := strings.Fields(lastLine(string(b)))
			count := "-"
			if len(fields) > 2 {
				count = fields[2]
			}
			counts = append(counts, fmt.Sprintf("%d:%s", sigLines, count))
		}
		cycle(true)           // 2 matches
		cycle(true)           // 2 more
		cycle(false)          // none new
		want := "1:2 1:2 0:2" // the file keeps the last alert's signatures
		if all {
			want = "1:2 1:4 1:4"
		}
		if got := strings.Join(counts, " "); got != want {
			t.Errorf("SHOW_ALL_SIGNATURES %v: signature lines and file counts per alert %q, want %q", all, got, want)
		}
		n.Close(context.Background())
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// TestEmailThrottle: EMAIL_THROTTLE N sends the 1st, (N+1)th, ... of the
// alert mails due for a source, as psad.conf documents; the alerts
// themselves (syslog) are not throttled.
func TestEmailThrottle(t *testing.T) {
	_, sender := startSMTP(t)
	cfg := baseConfig(t)
	sl := &syslogRec{}
	cfg.Mailer, cfg.Throttle, cfg.Syslog = sender, 3, sl
	n := New(cfg, nil)
	tr := scan.NewTracker(scan.DefaultSettings())
	for range 7 {
		scanner(tr, "10.0.0.1", 5)
		n.Batch(closed(tr))
	}
	s := n.Close(context.Background())
	if s.Done.Mails != 3 {
		t.Errorf("%d mails for 7 alert cycles with EMAIL_THROTTLE 3, want 3 (1st, 4th, 7th)", s.Done.Mails)
	}
	if got := n.EmailAlerts(tr.Source(netip.MustParseAddr("10.0.0.1"))); got != 3 {
		t.Errorf("EmailAlerts %d, want 3", got)
	}
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if len(sl.lines) != 7 {
		t.Errorf("%d syslog alerts, want 7", len(sl.lines))
	}
}

// TestTopFilesEvery: TOP_SCANS_CTR_THRESHOLD N rewrites the top files
// every N batches from the first; the counter files every batch.
func TestTopFilesEvery(t *testing.T) {
	cfg := baseConfig(t)
	cfg.TopFiles = &TopFiles{Ports: 50, Sigs: 50, IPs: 50, Every: 3}
	n := New(cfg, nil)
	tr := scan.NewTracker(scan.DefaultSettings())
	scanner(tr, "10.0.0.1", 5)
	n.Batch(closed(tr))
	scanner(tr, "10.0.0.2", 7)
	n.Batch(closed(tr))
	n.Close(context.Background())
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(cfg.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if top := read("top_attackers"); !strings.Contains(top, "10.0.0.1") || strings.Contains(top, "10.0.0.2") {
		t.Errorf("top_attackers was rewritten in the second batch:\n%s", top)
	}
	if ctr := read("packet_ctr"); !strings.Contains(ctr, "tcp: 12") {
		t.Errorf("packet_ctr was not rewritten in the second batch:\n%s", ctr)
	}
}

// TestTopFilesPaths: a counter or top file psad.conf moves elsewhere
// (TOP_ATTACKERS_FILE, ...) is written there; the others go to PSAD_DIR.
func TestTopFilesPaths(t *testing.T) {
	cfg := baseConfig(t)
	other := filepath.Join(t.TempDir(), "stats", "attackers.txt")
	cfg.TopFiles = &TopFiles{Ports: 50, Sigs: 50, IPs: 50, Paths: map[string]string{"top_attackers": other}}
	n := New(cfg, nil)
	tr := scan.NewTracker(scan.DefaultSettings())
	scanner(tr, "10.0.0.1", 5)
	n.Batch(closed(tr))
	n.Close(context.Background())
	if b, err := os.ReadFile(other); err != nil || !strings.Contains(string(b), "10.0.0.1") {
		t.Errorf("%s: %q, %v", other, b, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "top_attackers")); err == nil {
		t.Error("top_attackers also written to PSAD_DIR")
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "packet_ctr")); err != nil {
		t.Error(err)
	}
}

// TestForgetRetiresSourceFiles: Forget retires the directory of each
// forgotten source whose danger level could have given it files, on the
// worker: after the files queued before and before those queued after,
// so a source that comes back in the next batch keeps its new files. Its
// email count goes with it, per source or per destination.
func TestForgetRetiresSourceFiles(t *testing.T) {
	for _, perDst := range []bool{false, true} {
		_, sender := startSMTP(t)
		cfg := baseConfig(t)
		cfg.Mailer, cfg.LimitPerDst, cfg.FilesMinDL = sender, perDst, 2
		var mu sync.Mutex
		var retired []scan.Gone
		cfg.Retire = func(g scan.Gone) error {
			mu.Lock()
			retired = append(retired, g)
			mu.Unlock()
			return os.RemoveAll(filepath.Join(cfg.Dir, fwlog.AddrString(g.Addr)))
		}
		n := New(cfg, nil)
		tr := scan.NewTracker(scan.DefaultSettings())
		scanner(tr, "10.9.9.9", 15) // DL 2: files
		scanner(tr, "10.0.0.1", 5)  // DL 1: none
		n.Batch(closed(tr))
		a, b := tr.Source(netip.MustParseAddr("10.9.9.9")), tr.Source(netip.MustParseAddr("10.0.0.1"))
		if a.DL != 2 || b.DL != 1 || n.EmailAlerts(a) != 1 || n.EmailAlerts(b) != 1 {
			t.Fatalf("per dst %v: DLs %d, %d and emails %d, %d; want 2, 1, 1, 1", perDst, a.DL, b.DL, n.EmailAlerts(a), n.EmailAlerts(b))
		}
		n.Forget([]scan.Gone{{Addr: a.Addr, DL: a.DL}, {Addr: b.Addr, DL: b.DL}})
		if n.EmailAlerts(a) != 0 || n.EmailAlerts(b) != 0 {
			t.Errorf("per dst %v: email counts %d, %d kept after Forget", perDst, n.EmailAlerts(a), n.EmailAlerts(b))
		}
		back := scan.NewTracker(scan.DefaultSettings())
		scanner(back, "10.9.9.9", 15)
		n.Batch(closed(back))
		n.Close(context.Background())
		mu.Lock()
		if len(retired) != 1 || retired[0] != (scan.Gone{Addr: a.Addr, DL: 2}) {
			t.Errorf("per dst %v: retired %v, want only 10.9.9.9 at DL 2", perDst, retired)
		}
		mu.Unlock()
		name := "email_ctr"
		if perDst {
			name = "192.168.10.1_email_ctr"
		}
		if got, err := os.ReadFile(filepath.Join(cfg.Dir, "10.9.9.9", name)); err != nil || string(got) != "1\n" {
			t.Errorf("per dst %v: the returned source's %s: %q, %v; want its new count 1", perDst, name, got, err)
		}
		if _, err := os.Stat(filepath.Join(cfg.Dir, "10.9.9.9", "danger_level")); err != nil {
			t.Errorf("per dst %v: the returned source lost its new files: %v", perDst, err)
		}
	}
}

// TestForgetWaitsForRoom: a directory to retire while the queue is full
// is neither dropped nor retired out of order: the next Forget queues it.
func TestForgetWaitsForRoom(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Mailer, cfg.QueueLen, cfg.FilesMinDL = nil, 1, 2
	sl := newBlockingSyslog()
	cfg.Syslog = sl
	cfg.Retire = func(g scan.Gone) error { return os.RemoveAll(filepath.Join(cfg.Dir, fwlog.AddrString(g.Addr))) }
	n := New(cfg, nil)
	dir := filepath.Join(cfg.Dir, "10.9.9.9")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	n.Syslog("first") // taken by the worker, which holds it
	<-sl.entered
	n.Syslog("second") // fills the queue
	n.Forget([]scan.Gone{{Addr: netip.MustParseAddr("10.9.9.9"), DL: 3}})
	if len(n.retire) != 1 {
		t.Fatalf("%d directories kept for later, want 1", len(n.retire))
	}
	close(sl.release)
	<-sl.entered // the worker is on the second line, the queue has room
	n.Forget(nil)
	if len(n.retire) != 0 {
		t.Fatalf("%d directories still waiting with room in the queue", len(n.retire))
	}
	n.Close(context.Background())
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("directory of the forgotten source: %v, want it removed", err)
	}
}
