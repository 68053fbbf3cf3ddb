// Package notify is psad's alert cycle (operations spec 6.1.1) as a side
// effect seam: after a batch has its danger levels, every source at or
// above MIN_DANGER_LEVEL gets, per destination of the batch, its syslog
// lines, its alert text in PSAD_DIR and, at or above
// EMAIL_ALERT_DANGER_LEVEL, an email, within psad's limits (ALERT_ALL,
// EMAIL_LIMIT); then the top files and the DShield report.
//
// Everything that needs the scan state is computed in [Notifier.Batch],
// on the goroutine that owns the tracker; the I/O (syslog, files, mail,
// EXTERNAL_SCRIPT) is handed to one worker goroutine through a bounded
// queue, so a slow disk or mail server never holds up detection, and
// [Notifier.Close] bounds how long shutdown waits for it.
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/psadgo/psad/internal/alert"
	"github.com/psadgo/psad/internal/alert/mail"
	"github.com/psadgo/psad/internal/dshield"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/inspect"
	"github.com/psadgo/psad/internal/protocols"
	"github.com/psadgo/psad/internal/report"
	"github.com/psadgo/psad/internal/scan"
)

// Syslog sends one syslog message. The workers call it one call at a
// time, never from Batch's goroutine.
type Syslog interface {
	Send(msg string) error
}

// Lookups gives reverse DNS names and whois text without blocking: a
// result not known yet is started in the background and appears in later
// alerts. It is called on the goroutine that calls Batch.
type Lookups interface {
	Lookup(ip netip.Addr) (dnsName, whois string)
}

// Script runs EXTERNAL_SCRIPT for a source that was alerted; it must
// not block (extscript.Runner queues the run). Called from the local
// worker.
type Script interface {
	Alerted(src netip.Addr)
}

// TopFiles are the limits of psad's top files in PSAD_DIR.
type TopFiles struct {
	Ports int // TOP_PORTS_LOG_THRESHOLD
	Sigs  int // TOP_SIGS_LOG_THRESHOLD
	IPs   int // TOP_IP_LOG_THRESHOLD
	// Every is TOP_SCANS_CTR_THRESHOLD: top_ports, top_sigs and
	// top_attackers are rewritten every Every batches, the first batch
	// included (0 or 1: every batch); the counter files every batch.
	Every int
	// Paths are where the files go, by psad's name for them
	// ("packet_ctr": PACKET_COUNTER_FILE, "ipt_prefix_ctr",
	// "top_ports", "top_sigs", "top_attackers"); a name not here goes
	// to Config.Dir.
	Paths map[string]string
}

// DShield is psad's DShield reporting (ENABLE_DSHIELD_ALERTS).
type DShield struct {
	UserID      string        // DSHIELD_USER_ID
	Interval    time.Duration // DSHIELD_ALERT_INTERVAL
	DLThreshold int           // DSHIELD_DL_THRESHOLD
	To          string        // DSHIELD_ALERT_EMAIL
	From        string        // DSHIELD_USER_EMAIL; "" uses Config.From
	EmailFile   string        // DSHIELD_EMAIL_FILE
	CounterFile string        // DSHIELD_COUNTER_FILE
}

// Config is the alert cycle's part of psad.conf, typed, plus the senders.
// The zero value of a sender field turns that output off.
type Config struct {
	MinDL       int  // MIN_DANGER_LEVEL
	EmailDL     int  // EMAIL_ALERT_DANGER_LEVEL
	AlertAll    bool // ALERT_ALL
	EmailLimit  int  // EMAIL_LIMIT, 0 = unlimited
	LimitPerDst bool // ENABLE_EMAIL_LIMIT_PER_DST
	LimitMsg    bool // EMAIL_LIMIT_STATUS_MSG
	// Throttle is EMAIL_THROTTLE: above 1, of the alert mails due for a
	// source (or source and destination), the 1st, (N+1)th, ... go out.
	Throttle   int
	SigSyslog  bool // ENABLE_SIG_MSG_SYSLOG
	SigSyslogN int  // SIG_MSG_SYSLOG_THRESHOLD
	// AlertPrefix and StatusPrefix are MAIL_ALERT_PREFIX and
	// MAIL_STATUS_PREFIX.
	AlertPrefix, StatusPrefix string
	From                      string   // MAIL_FROM_ADDRESS
	To                        []string // EMAIL_ADDRESSES
	Hostname                  string   // HOSTNAME
	Version, ProgPath         string
	// Dir is PSAD_DIR, where per-source alert files go ("" writes none).
	Dir string
	// FilesMinDL is PSAD_DIR_FILES_MIN_DL: sources below this danger
	// level get no per-source files (0 or 1: every alerted source, as
	// psad).
	FilesMinDL int
	// Retire removes (or archives) the directory under Dir of a source
	// the daemon forgot; Forget has the worker call it. nil leaves the
	// directories where they are (analysis mode forgets nothing).
	Retire func(scan.Gone) error
	// ShowAllSigs is SHOW_ALL_SIGNATURES: every alert lists all the
	// pair's signature matches, not only those since its last alert.
	ShowAllSigs bool
	// ImportCounts (IMPORT_OLD_SCANS) starts the email counts from the
	// email_ctr files in Dir, as psad's import of old scans does.
	ImportCounts bool
	// TopFiles, when set, rewrites PSAD_DIR's top files after every
	// batch (the daemon; analysis mode writes none).
	TopFiles *TopFiles
	// DShield, when set, collects the packets given to Packet and mails
	// them every Interval.
	DShield *DShield

	// Template carries the alert fields that do not depend on the pair:
	// ProtocolScanThreshold, MACReporting, SnortSIDStr, Analysis.
	Template alert.Info
	// Engines name signatures, fwsnort rules and ICMP types in alerts and
	// files (nil: bare ids). Protocols names numeric protocols.
	Engines   *inspect.Engines
	Protocols *protocols.Table
	// Ports reads the local ports servers are bound to (ReadProcNet);
	// nil turns the alerts' "bound to local port" notes off
	// (--no-netstat). It is called by New and then by the worker after
	// every batch, so at most once per cycle and never on the caller.
	Ports func() (*Ports, error)

	Mailer mail.Sender // nil: no email (ALERTING_METHODS noemail)
	// MailTimeout bounds one send; 0 means 60 s.
	MailTimeout time.Duration
	Lookups     Lookups
	// DNSOn and WhoisOn are ENABLE_DNS_LOOKUPS and ENABLE_WHOIS_LOOKUPS
	// (after --no-rdns, --no-whois).
	DNSOn, WhoisOn bool
	// WhoisForceSrc is ENABLE_WHOIS_FORCE_SRC_IP.
	WhoisForceSrc bool
	Script        Script // nil: no EXTERNAL_SCRIPT
	Syslog        Syslog // nil: no syslog (nosyslog)
	// Stdout, when set, receives the alert text instead of mail
	// (--no-daemon).
	Stdout io.Writer
	// QueueLen bounds the work waiting for the worker; 0 means 4096.
	// One alert is a few items (its syslog lines, its files, its mail).
	QueueLen int
	// MailQueueBytes bounds the mail waiting for the mail program or
	// server, by size; 0 means mailQueueBytes.
	MailQueueBytes int
	// Wait makes Batch wait for room in a full queue instead of dropping
	// (one-shot modes, where nothing else waits on the caller). Close
	// must then not run while Batch does.
	Wait bool
	Log  *slog.Logger
	// Clock is the time printed in alerts (nil: time.Now).
	Clock func() time.Time
}

// Counts counts items of each kind of output.
type Counts struct {
	Mails, SyslogLines, Files, Scripts int
}

func (c Counts) zero() bool { return c == Counts{} }

// Summary says what became of the work handed to a Notifier. Dropped
// items were never tried: the queue was full, or Close ran out of time
// (a send cut off by Close counts as dropped too).
type Summary struct {
	Done, Failed, Dropped Counts
}

// Notifier keeps the state of the alert cycle between batches and runs
// its I/O. Batch and Packet must be called from one goroutine (the one
// that owns the tracker); Close and Summary may be called from any.
type Notifier struct {
	cfg  Config
	tmpl alert.Info // Template with the engines' names filled in
	// emails is the cycle's memory: e-mail counts per source (or
	// source>dst) for EMAIL_LIMIT. The pairs alerted before, which
	// ALERT_ALL=N mutes until their DL rises, are marked on the pairs.
	emails map[string]int
	// due counts the alert mails due per key, sent or throttled
	// (EMAIL_THROTTLE); topBatches counts batches for TopFiles.Every.
	due        map[string]int
	topBatches int
	// retire holds the forgotten sources whose directories wait for room
	// in the queue.
	retire []scan.Gone
	ds     *dshield.Collector
	ports  atomic.Pointer[Ports]

	queue  chan job        // to the local worker (run)
	mailq  *mailQueue      // from the local worker to the mail worker (runMail)
	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc
	done   chan struct{} // closed when both workers have stopped

	syslogMu sync.Mutex // serialises Syslog.Send between the workers

	mu      sync.Mutex
	closed  bool
	sum     Summary
	pending Counts // enqueued, not finished
	drops   int    // jobs dropped by enqueue, for its log lines
}

// New starts a Notifier. With prev (a reload) the new one carries on
// prev's alert-cycle state: e-mail counts, the DShield
// records and the last port table; Batch must not be called on prev
// afterwards, and the caller still closes it (its queued work goes out).
func New(cfg Config, prev *Notifier) *Notifier {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = 4096
	}
	if cfg.MailQueueBytes <= 0 {
		cfg.MailQueueBytes = mailQueueBytes
	}
	if cfg.MailTimeout <= 0 {
		cfg.MailTimeout = 60 * time.Second
	}
	n := &Notifier{cfg: cfg, emails: make(map[string]int), due: make(map[string]int),
		queue: make(chan job, cfg.QueueLen), mailq: newMailQueue(cfg.MailQueueBytes), done: make(chan struct{})}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.tmpl = fillTemplate(cfg.Template, cfg.Engines, cfg.Protocols)
	if prev == nil && cfg.ImportCounts && cfg.Dir != "" {
		importEmailCounts(cfg.Dir, cfg.LimitPerDst, n.emails, cfg.Log)
	}
	if prev != nil {
		n.emails, n.due, n.topBatches, n.retire = prev.emails, prev.due, prev.topBatches, prev.retire
		if cfg.DShield != nil {
			n.ds = prev.ds
		}
		n.ports.Store(prev.ports.Load())
	}
	if cfg.DShield != nil && n.ds == nil {
		n.ds = dshield.New(cfg.DShield.UserID, cfg.DShield.Interval, cfg.DShield.DLThreshold, cfg.Clock())
	}
	if cfg.Ports != nil && n.ports.Load() == nil {
		n.refreshPorts()
	}
	go n.run()
	go n.runMail()
	return n
}

// fillTemplate names what the alert prints from the engines and the
// protocol table, so the daemon and analysis mode print the same
// signature detail (classtype, references, fwsnort content).
func fillTemplate(in alert.Info, e *inspect.Engines, p *protocols.Table) alert.Info {
	if e != nil {
		in.Sigs = e.AlertSig
		in.SigDetail = e.SigDetail
		in.ICMPTypeName = e.ICMPTypeName
	}
	if p != nil {
		in.ProtoName = func(num int) string {
			name, _, ok := p.Name(num)
			if !ok {
				return ""
			}
			return name
		}
	}
	return in
}

func (n *Notifier) refreshPorts() {
	p, err := n.cfg.Ports()
	if err != nil {
		n.cfg.Log.Warn("local ports unknown; alerts omit the bound-port notes", "err", err)
		return
	}
	n.ports.Store(p)
}

// Packet feeds one packet that reached the scan state to the DShield
// collector (a no-op without DShield).
func (n *Notifier) Packet(now time.Time, p *fwlog.Packet) {
	if n.ds != nil {
		n.ds.Add(now, p)
	}
}

// Batch runs the alert cycle for one closed batch. It reads the tracker
// and queues the output; it never waits for I/O.
func (n *Notifier) Batch(b *scan.Closed) {
	c := &n.cfg
	var localPorts func(string, int) (bool, bool)
	if p := n.ports.Load(); p != nil {
		localPorts = p.Bound
	}
	// psad's syslog lines for what the batch's packets did beside
	// scanning.
	for _, r := range b.AutoRaised {
		n.syslog(fmt.Sprintf("auto-assigned danger level: %d for IP: %s", r.DL, fwlog.AddrString(r.Src.Addr)))
	}
	if b.PairLimitHit {
		n.syslog("scan IP pairs threshold reached")
	}
	for _, src := range b.Sources {
		if src.DL < max(c.MinDL, 1) {
			continue
		}
		srcKey := fwlog.AddrString(src.Addr)
		_, raised := b.Raised[src]
		dsts := src.BatchDsts()
		for _, pair := range dsts {
			if !c.AlertAll && pair.Alerted && !raised {
				continue
			}
			key := srcKey
			if c.LimitPerDst {
				key += ">" + fwlog.AddrString(pair.Dst)
			}
			// SHOW_ALL_SIGNATURES N: the alert, its syslog lines and the
			// signatures file list only the matches no alert has listed.
			shown := pair
			if !c.ShowAllSigs {
				shown = pair.Unshown()
			}
			in := n.tmpl
			in.LocalPorts = localPorts
			in.Now = c.Clock()
			in.DL, in.Src, in.Pair, in.ScanDsts = src.DL, src, shown, len(dsts)
			in.Style = b.Tracker.Style(pair)
			in.Hostname, in.Version, in.ProgPath = c.Hostname, c.Version, c.ProgPath
			in.OSGuesses, in.PosfGuess = src.OSGuesses(), src.PosfGuess()
			in.TotalEmailAlerts = n.emails[key] + 1
			n.lookups(&in, src, pair)
			if c.SigSyslog {
				for _, l := range alert.SigLines(&in, c.SigSyslogN) {
					n.syslog(l)
				}
			}
			n.syslog(alert.ScanLine(&in))
			// The alert text is the costliest part of an alert: made
			// only for an output that uses it, so a flood of DL 1
			// sources without mail costs a syslog line each.
			var body []byte
			text := func() []byte {
				if body == nil {
					body = alert.Email(nil, &in)
				}
				return body
			}
			n.sourceFiles(src, shown, text, &in)
			pair.Alerted = true
			if !c.ShowAllSigs {
				pair.MarkShown()
			}
			switch {
			case c.Stdout != nil:
				n.enqueue(job{kind: kindStdout, data: text()})
			case c.Mailer == nil || src.DL < c.EmailDL || len(c.To) == 0:
			case c.EmailLimit > 0 && n.emails[key] >= c.EmailLimit:
				// psad's words, in syslog every cycle and in the one
				// notice mail's subject.
				who, forDst := srcKey, ""
				if c.LimitPerDst {
					dst := fwlog.AddrString(pair.Dst)
					who, forDst = srcKey+" against dst: "+dst, " ("+dst+")"
				}
				n.syslog("email limit reached for src: " + who)
				if n.emails[key] == c.EmailLimit && c.LimitMsg {
					n.emails[key]++ // send the notice once
					n.enqueue(job{kind: kindMail, mail: &mail.Message{From: c.From, To: c.To,
						Subject: fmt.Sprintf("%s reached email message limit for %s on %s%s", c.StatusPrefix, srcKey, alert.Clean(c.Hostname), forDst),
						Body:    fmt.Appendf(nil, "psad has sent %d alert emails for %s%s and sends no more (EMAIL_LIMIT %d).\n", c.EmailLimit, srcKey, forDst, c.EmailLimit)}})
				}
			case c.Throttle > 1 && n.throttled(key):
			default:
				n.emails[key]++
				j := job{kind: kindMail, mail: &mail.Message{From: c.From, To: c.To, Subject: alert.Subject(c.AlertPrefix, &in), Body: text()}}
				n.emailCounter(&j, src, pair, n.emails[key])
				n.enqueue(j)
				if c.Script != nil {
					n.enqueue(job{kind: kindScript, addr: src.Addr})
				}
			}
		}
	}
	n.topFiles(b.Tracker)
	n.dshield(b)
	if c.Ports != nil {
		n.enqueue(job{kind: kindPorts})
	}
}

// Forget lets go of what the alert cycle keeps of sources the tracker
// forgot: the email counts, and the directories under Dir of those whose
// danger level could have given them files, which Config.Retire removes
// on the worker, after the files queued for them so far and before those
// a later batch queues if they come back. A full queue keeps the
// directories for the next call.
//
// Why: the tracker and the state database let go of a source evicted for
// MAX_SCAN_SOURCES or expired, but its files and its email count stayed
// for good, one more of each for every source a flood brought.
func (n *Notifier) Forget(gone []scan.Gone) {
	c := &n.cfg
	if c.Dir != "" && c.Retire != nil {
		for _, g := range gone {
			if g.DL >= max(c.FilesMinDL, 1) {
				n.retire = append(n.retire, g)
			}
		}
	}
	if len(n.retire) > 0 && n.tryEnqueue(job{kind: kindRetire, gone: n.retire}) {
		n.retire = nil
	}
	if len(n.emails) == 0 && len(n.due) == 0 {
		return
	}
	if !c.LimitPerDst {
		for _, g := range gone {
			k := fwlog.AddrString(g.Addr)
			delete(n.emails, k)
			delete(n.due, k)
		}
		return
	}
	// Per destination the keys are "src>dst": one pass over the counts.
	srcs := make(map[string]bool, len(gone))
	for _, g := range gone {
		srcs[fwlog.AddrString(g.Addr)] = true
	}
	forgotten := func(k string, _ int) bool {
		src, _, _ := strings.Cut(k, ">")
		return srcs[src]
	}
	maps.DeleteFunc(n.emails, forgotten)
	maps.DeleteFunc(n.due, forgotten)
}

// throttled counts an alert mail due for key and reports whether
// EMAIL_THROTTLE holds it back: one in Throttle goes out, the first
// included. psad's code dropped one in N instead, against what its
// psad.conf says (docs/compat.md).
func (n *Notifier) throttled(key string) bool {
	n.due[key]++
	return n.due[key]%n.cfg.Throttle != 1
}

// DShieldStats is the DShield counter text ("total emails: n\ntotal
// packets: n\n") for -S, or "" when DShield reporting is off. Like Batch
// it must run on the goroutine that owns the tracker.
func (n *Notifier) DShieldStats() string {
	if n.ds == nil {
		return ""
	}
	return n.ds.Counters()
}

// EmailAlerts is the number of alert emails sent for src (with
// ENABLE_EMAIL_LIMIT_PER_DST, summed over its destinations): -S's
// "Email alerts". Like Batch it must run on the goroutine that owns the
// tracker.
func (n *Notifier) EmailAlerts(src *scan.Source) int {
	key := fwlog.AddrString(src.Addr)
	if !n.cfg.LimitPerDst {
		return n.emails[key]
	}
	sum := 0
	for _, p := range src.DstList() {
		sum += n.emails[key+">"+fwlog.AddrString(p.Dst)]
	}
	return sum
}

// importEmailCounts reads the email counts in the email_ctr files
// (<dst>_email_ctr with perDst) of dir's per-source directories into
// counts. A file it cannot read or parse is logged and skipped: the
// count then starts from 0, as it does without IMPORT_OLD_SCANS.
func importEmailCounts(dir string, perDst bool, counts map[string]int, log *slog.Logger) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			log.Warn("email counts not imported", "err", err)
		}
		return
	}
	for _, e := range ents {
		src, err := netip.ParseAddr(e.Name())
		if !e.IsDir() || err != nil {
			continue
		}
		srcKey := fwlog.AddrString(src)
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			log.Warn("email counts not imported", "err", err)
			continue
		}
		for _, f := range files {
			key := srcKey
			switch name := f.Name(); {
			case !perDst && name == "email_ctr":
			case perDst && strings.HasSuffix(name, "_email_ctr"):
				dst, err := netip.ParseAddr(strings.TrimSuffix(name, "_email_ctr"))
				if err != nil {
					continue
				}
				key += ">" + fwlog.AddrString(dst)
			default:
				continue
			}
			path := filepath.Join(dir, e.Name(), f.Name())
			b, err := os.ReadFile(path)
			if err != nil {
				log.Warn("email count not imported", "err", err)
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || n < 0 {
				log.Warn("email count not imported: not a count", "file", path, "value", strings.TrimSpace(string(b)))
				continue
			}
			counts[key] = n
		}
	}
}

// emailCounter has the alert mail j write psad's email_ctr file
// (<dst>_email_ctr with ENABLE_EMAIL_LIMIT_PER_DST) once it is out, for
// a source that has per-source files.
func (n *Notifier) emailCounter(j *job, src *scan.Source, pair *scan.Pair, count int) {
	if n.cfg.Dir == "" || src.DL < n.cfg.FilesMinDL {
		return
	}
	name := "email_ctr"
	if n.cfg.LimitPerDst {
		name = fwlog.AddrString(pair.Dst) + "_email_ctr"
	}
	j.dir = filepath.Join(n.cfg.Dir, fwlog.AddrString(src.Addr))
	j.files = []file{{name: name, data: fmt.Appendf(nil, "%d\n", count)}}
	j.source = true
}

// lookups fills the DNS and whois fields of an alert.
func (n *Notifier) lookups(in *alert.Info, src *scan.Source, pair *scan.Pair) {
	c := &n.cfg
	if c.Lookups == nil {
		return
	}
	in.DNSLookups = c.DNSOn
	srcDNS, srcWhois := c.Lookups.Lookup(src.Addr)
	dstDNS, dstWhois := c.Lookups.Lookup(pair.Dst)
	if c.DNSOn {
		in.SrcDNS, in.DstDNS = srcDNS, dstDNS
	}
	if c.WhoisOn {
		// psad looks up the destination when the source is local and
		// the destination is not.
		in.Whois = srcWhois
		if !c.WhoisForceSrc && src.Local && !pair.Local {
			in.Whois, in.WhoisDst = dstWhois, true
		}
	}
}

func (n *Notifier) syslog(line string) {
	if n.cfg.Syslog != nil {
		n.enqueue(job{kind: kindSyslog, line: line})
	}
}

// sourceFiles queues psad's per-source files: danger_level, and per
// destination the last alert text, scan start, packet counters and
// signatures, plus the OS guesses. Sources below FilesMinDL get none.
func (n *Notifier) sourceFiles(src *scan.Source, pair *scan.Pair, text func() []byte, in *alert.Info) {
	if n.cfg.Dir == "" || src.DL < n.cfg.FilesMinDL {
		return
	}
	dir := filepath.Join(n.cfg.Dir, fwlog.AddrString(src.Addr))
	dst := fwlog.AddrString(pair.Dst)
	fs := []file{{name: "danger_level", data: fmt.Appendf(nil, "%d\n", src.DL), steady: true}}
	if n.cfg.Stdout == nil {
		fs = append(fs, file{name: dst + "_email_alert", data: text()})
	}
	fs = append(fs, file{name: dst + "_start_time", data: fmt.Appendf(nil, "%d\n", pair.Start().Unix()), steady: true})
	var b bytes.Buffer
	report.PairPacketCounters(&b, pair)
	fs = append(fs, file{name: dst + "_packet_ctr", data: bytes.Clone(b.Bytes())})
	if len(pair.Sigs()) > 0 {
		b.Reset()
		var info report.SigInfo
		psadID := func(int) bool { return false }
		if e := n.cfg.Engines; e != nil {
			info = e.DetailSigInfo
			psadID = func(id int) bool {
				if e.Sigs == nil {
					return false
				}
				s := e.Sigs.Lookup(id)
				return s != nil && s.PsadID
			}
		}
		report.PairSignatures(&b, pair, n.cfg.Clock().Unix(), info, psadID)
		fs = append(fs, file{name: dst + "_signatures", data: bytes.Clone(b.Bytes())})
	}
	if len(src.OSGuesses()) > 0 {
		fs = append(fs, file{name: "p0f_guess", data: []byte(strings.Join(src.OSGuesses(), "\n") + "\n"), steady: true})
	}
	if src.PosfGuess() != "" {
		fs = append(fs, file{name: "os_guess", data: []byte(src.PosfGuess() + "\n"), steady: true})
	}
	// psad keeps the whois record it put in the alert as <ip>_whois, ip
	// being the address looked up; a record not known yet (the lookup
	// runs in the background) waits for a later alert.
	if in.Whois != "" {
		ip := src.Addr
		if in.WhoisDst {
			ip = pair.Dst
		}
		fs = append(fs, file{name: fwlog.AddrString(ip) + "_whois", data: []byte(in.Whois), steady: true})
	}
	n.enqueue(job{kind: kindFiles, dir: dir, files: fs, source: true})
}

// topFiles queues psad's global counter and top files in PSAD_DIR
// (packet_ctr, ipt_prefix_ctr, top_ports, top_sigs, top_attackers),
// which scripts and dashboards read.
func (n *Notifier) topFiles(t *scan.Tracker) {
	c := &n.cfg
	if c.TopFiles == nil || c.Dir == "" {
		return
	}
	var sigs report.SigInfo
	if c.Engines != nil {
		sigs = c.Engines.TopSigInfo
	}
	lim := c.TopFiles
	top := lim.Every <= 1 || n.topBatches%lim.Every == 0
	n.topBatches++
	var dirs []string
	byDir := map[string][]file{}
	for _, f := range []struct {
		name  string
		write func(w io.Writer)
	}{
		{"packet_ctr", func(w io.Writer) { report.PacketCounters(w, t) }},
		{"ipt_prefix_ctr", func(w io.Writer) { report.PrefixCounters(w, t) }},
		{"top_ports", func(w io.Writer) { report.TopPorts(w, t, lim.Ports) }},
		{"top_sigs", func(w io.Writer) { report.TopSigs(w, t, lim.Sigs, sigs) }},
		{"top_attackers", func(w io.Writer) {
			report.TopAttackers(w, t, report.FileLimits{IPs: lim.IPs, MinDL: c.MinDL})
		}},
	} {
		if !top && strings.HasPrefix(f.name, "top_") {
			continue
		}
		var b bytes.Buffer
		f.write(&b)
		dir, name := c.Dir, f.name
		if p := lim.Paths[f.name]; p != "" {
			dir, name = filepath.Dir(p), filepath.Base(p)
		}
		if _, ok := byDir[dir]; !ok {
			dirs = append(dirs, dir)
		}
		byDir[dir] = append(byDir[dir], file{name: name, data: b.Bytes()})
	}
	for _, dir := range dirs {
		n.enqueue(job{kind: kindFiles, dir: dir, files: byDir[dir]})
	}
}

// dshield queues the DShield report when its interval is up: the mail to
// DSHIELD_ALERT_EMAIL, DSHIELD_EMAIL_FILE, DSHIELD_COUNTER_FILE, and
// psad's "sent N lines" syslog line once the mail is out.
func (n *Notifier) dshield(b *scan.Closed) {
	if n.ds == nil || !n.ds.Due(b.Now) {
		return
	}
	d := n.cfg.DShield
	subject, body, count := n.ds.Report(b.Now, n.cfg.Version, func(ip netip.Addr) int {
		if s := b.Tracker.Source(ip); s != nil {
			return s.DL
		}
		return 0
	})
	if count == 0 {
		return
	}
	for _, f := range []struct{ path, data string }{{d.EmailFile, string(body)}, {d.CounterFile, n.ds.Counters()}} {
		if f.path != "" {
			n.enqueue(job{kind: kindFiles, dir: filepath.Dir(f.path), files: []file{{name: filepath.Base(f.path), data: []byte(f.data)}}})
		}
	}
	if n.cfg.Mailer == nil {
		n.cfg.Log.Error("DShield report not sent: no mailer configured")
		return
	}
	from := d.From
	if from == "" {
		from = n.cfg.From
	}
	j := job{kind: kindMail, mail: &mail.Message{From: from, To: []string{d.To}, Subject: subject, Body: body}}
	if n.cfg.Syslog != nil {
		j.line = fmt.Sprintf("sent %d lines of log data to %s", count, d.To)
	}
	n.enqueue(j)
}

// Status sends a status mail (MAIL_STATUS_PREFIX subjects: blocks,
// unblocks) to EMAIL_ADDRESSES through the alert cycle's queue, so its
// caller, the block applier, never waits for a mail server. It reports
// false when no mailer is configured.
func (n *Notifier) Status(subject, body string) bool {
	c := &n.cfg
	if c.Mailer == nil || len(c.To) == 0 {
		return false
	}
	n.enqueue(job{kind: kindMail, mail: &mail.Message{From: c.From, To: c.To, Subject: subject, Body: []byte(body)}})
	return true
}

// Syslog queues one syslog line with the alert lines (block and unblock
// messages).
func (n *Notifier) Syslog(line string) { n.syslog(line) }
