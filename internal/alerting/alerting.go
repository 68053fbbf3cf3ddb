// Package alerting is psad's alert cycle (operations spec 6.1.1): after a
// batch has its danger levels, every source at or above MIN_DANGER_LEVEL
// gets, per destination of the batch, its syslog lines, its alert text
// in PSAD_DIR and, at or above EMAIL_ALERT_DANGER_LEVEL, an email, within
// psad's limits (ALERT_ALL, EMAIL_LIMIT). Mail is handed to a queue so a
// slow mail server never holds up detection.
package alerting

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/psadgo/psad/internal/alert"
	"github.com/psadgo/psad/internal/alert/mail"
	"github.com/psadgo/psad/internal/daemon"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/report"
	"github.com/psadgo/psad/internal/scan"
)

// Syslog sends one syslog message.
type Syslog interface {
	Send(msg string) error
}

// Config is the alerting part of psad.conf plus the senders.
type Config struct {
	MinDL       int  // MIN_DANGER_LEVEL
	EmailDL     int  // EMAIL_ALERT_DANGER_LEVEL
	AlertAll    bool // ALERT_ALL
	EmailLimit  int  // EMAIL_LIMIT, 0 = unlimited
	LimitPerDst bool // ENABLE_EMAIL_LIMIT_PER_DST
	LimitMsg    bool // EMAIL_LIMIT_STATUS_MSG
	SigSyslog   bool // ENABLE_SIG_MSG_SYSLOG
	SigSyslogN  int  // SIG_MSG_SYSLOG_THRESHOLD
	// AlertPrefix and StatusPrefix are MAIL_ALERT_PREFIX and
	// MAIL_STATUS_PREFIX.
	AlertPrefix, StatusPrefix string
	From                      string
	To                        []string
	Hostname                  string
	Version, ProgPath         string
	// Dir is PSAD_DIR, where per-source alert files go ("" writes none).
	Dir string
	// Template fills the per-packet-independent fields of alert.Info
	// (signature names, ICMP names, thresholds).
	Template alert.Info

	Mailer mail.Sender // nil: no email (ALERTING_METHODS noemail)
	// SigInfo names signatures and PsadID tells psad_ids, for the
	// per-pair signatures files.
	SigInfo report.SigInfo
	PsadID  func(id int) bool
	// Lookups gives reverse DNS names and whois text without blocking
	// (nil: lookups off). A result not known yet is started in the
	// background and appears in later alerts.
	Lookups        Lookups
	DNSOn, WhoisOn bool
	// WhoisForceSrc is ENABLE_WHOIS_FORCE_SRC_IP.
	WhoisForceSrc bool
	// Script runs EXTERNAL_SCRIPT after an alert mail (nil: off).
	Script interface{ Alerted(src netip.Addr) }
	Syslog Syslog // nil: no syslog (nosyslog)
	// Stdout, when set, receives the alert text instead of mail
	// (--no-daemon).
	Stdout interface{ Write([]byte) (int, error) }
	Log    *slog.Logger
	// Clock is the time source.
	Clock func() time.Time
}

// Lookups gives reverse DNS names and whois text without blocking.
type Lookups interface {
	Lookup(ip netip.Addr) (dnsName, whois string)
}

// Alerter keeps the state of the alert cycle between batches.
type Alerter struct {
	cfg     Config
	emails  map[string]int // per source (or source>dst) e-mail counts
	alerted map[*scan.Pair]bool
	queue   chan *mail.Message
	wg      sync.WaitGroup
	mu      sync.Mutex
	sent    int
	failed  int
}

// New starts an alerter; Close waits for queued mail.
func New(c Config) *Alerter {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	a := &Alerter{cfg: c, emails: make(map[string]int), alerted: make(map[*scan.Pair]bool), queue: make(chan *mail.Message, 256)}
	a.wg.Add(1)
	go a.mailer()
	return a
}

// Close stops the mail queue after sending what it holds.
func (a *Alerter) Close() {
	close(a.queue)
	a.wg.Wait()
}

// Sent returns how many emails were sent and how many failed.
func (a *Alerter) Sent() (sent, failed int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sent, a.failed
}

func (a *Alerter) mailer() {
	defer a.wg.Done()
	for m := range a.queue {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		err := a.cfg.Mailer.Send(ctx, m)
		cancel()
		a.mu.Lock()
		if err != nil {
			a.failed++
		} else {
			a.sent++
		}
		a.mu.Unlock()
		if err != nil {
			a.cfg.Log.Error("sending alert mail", "subject", m.Subject, "err", err)
		}
	}
}

func (a *Alerter) syslog(msg string) {
	if a.cfg.Syslog == nil {
		return
	}
	if err := a.cfg.Syslog.Send(msg); err != nil {
		a.cfg.Log.Error("syslog", "err", err)
	}
}

// Batch runs the alert cycle for one closed batch (daemon.Config.Alert).
func (a *Alerter) Batch(b *daemon.Batch) {
	c := &a.cfg
	for _, src := range b.Sources {
		if src.DL < max(c.MinDL, 1) {
			continue
		}
		srcKey := fwlog.AddrString(src.Addr)
		_, raised := b.Raised[src]
		dsts := src.BatchDsts()
		for _, pair := range dsts {
			if !c.AlertAll && a.alerted[pair] && !raised {
				continue
			}
			key := srcKey
			if c.LimitPerDst {
				key += ">" + fwlog.AddrString(pair.Dst)
			}
			in := c.Template
			in.Now = c.Clock()
			in.DL, in.Src, in.Pair, in.ScanDsts = src.DL, src, pair, len(dsts)
			in.Style = b.Tracker.Style(pair)
			in.Hostname, in.Version, in.ProgPath = c.Hostname, c.Version, c.ProgPath
			in.OSGuesses, in.PosfGuess = src.OSGuesses, src.PosfGuess
			in.TotalEmailAlerts = a.emails[key] + 1
			if c.Lookups != nil {
				in.DNSLookups = c.DNSOn
				srcDNS, srcWhois := c.Lookups.Lookup(src.Addr)
				dstDNS, dstWhois := c.Lookups.Lookup(pair.Dst)
				if c.DNSOn {
					in.SrcDNS, in.DstDNS = srcDNS, dstDNS
				}
				if c.WhoisOn {
					// psad looks up the destination when the source is
					// local and the destination is not.
					in.Whois = srcWhois
					if !c.WhoisForceSrc && src.Local && !pair.Local {
						in.Whois, in.WhoisDst = dstWhois, true
					}
				}
			}
			if c.SigSyslog {
				for _, l := range alert.SigLines(&in, c.SigSyslogN) {
					a.syslog(l)
				}
			}
			a.syslog(alert.ScanLine(&in))
			body := alert.Email(nil, &in)
			a.writeFiles(src, pair, body)
			a.alerted[pair] = true
			switch {
			case c.Stdout != nil:
				c.Stdout.Write(body)
			case c.Mailer == nil || src.DL < c.EmailDL || len(c.To) == 0:
			case c.EmailLimit > 0 && a.emails[key] >= c.EmailLimit:
				if a.emails[key] == c.EmailLimit && c.LimitMsg {
					a.emails[key]++ // send the notice once
					a.enqueue(&mail.Message{From: c.From, To: c.To, Subject: fmt.Sprintf("%s %s: email limit reached for %s",
						c.StatusPrefix, alert.Clean(c.Hostname), key),
						Body: []byte(fmt.Sprintf("psad has sent %d alert emails for %s and sends no more (EMAIL_LIMIT %d).\n", c.EmailLimit, key, c.EmailLimit))})
				}
			default:
				a.emails[key]++
				a.enqueue(&mail.Message{From: c.From, To: c.To, Subject: alert.Subject(c.AlertPrefix, &in), Body: body})
				if c.Script != nil {
					c.Script.Alerted(src.Addr)
				}
			}
		}
	}
}

func (a *Alerter) enqueue(m *mail.Message) {
	select {
	case a.queue <- m:
	default:
		a.cfg.Log.Error("alert mail queue full, dropping", "subject", m.Subject)
		a.mu.Lock()
		a.failed++
		a.mu.Unlock()
	}
}

// writeFiles keeps psad's per-source files: danger_level and the last
// alert text of each destination.
func (a *Alerter) writeFiles(src *scan.Source, pair *scan.Pair, body []byte) {
	if a.cfg.Dir == "" {
		return
	}
	dir := filepath.Join(a.cfg.Dir, fwlog.AddrString(src.Addr))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		a.cfg.Log.Error("alert files", "err", err)
		return
	}
	dst := fwlog.AddrString(pair.Dst)
	os.WriteFile(filepath.Join(dir, "danger_level"), []byte(fmt.Sprintf("%d\n", src.DL)), 0o600)
	if a.cfg.Stdout == nil {
		os.WriteFile(filepath.Join(dir, dst+"_email_alert"), body, 0o600)
	}
	os.WriteFile(filepath.Join(dir, dst+"_start_time"), []byte(fmt.Sprintf("%d\n", pair.Start.Unix())), 0o600)
	var b bytes.Buffer
	report.PairPacketCounters(&b, pair)
	WriteAtomic(filepath.Join(dir, dst+"_packet_ctr"), b.Bytes())
	if len(pair.Sigs) > 0 {
		b.Reset()
		report.PairSignatures(&b, pair, a.cfg.Clock().Unix(), a.cfg.SigInfo, a.cfg.PsadID)
		WriteAtomic(filepath.Join(dir, dst+"_signatures"), b.Bytes())
	}
	if len(src.OSGuesses) > 0 {
		WriteAtomic(filepath.Join(dir, "p0f_guess"), []byte(strings.Join(src.OSGuesses, "\n")+"\n"))
	}
	if src.PosfGuess != "" {
		WriteAtomic(filepath.Join(dir, "os_guess"), []byte(src.PosfGuess+"\n"))
	}
}

// WriteAtomic replaces path with data through a temporary file and a
// rename, so readers (psad -S of other tools, scripts) never see half a
// file.
func WriteAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Mail queues a message on the alert mailer (DShield reports and other
// non-alert mail); it reports false when no mailer is configured.
func (a *Alerter) Mail(m *mail.Message) bool {
	if a.cfg.Mailer == nil {
		return false
	}
	if m.From == "" {
		m.From = a.cfg.From
	}
	a.enqueue(m)
	return true
}
