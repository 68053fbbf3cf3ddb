package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/psadgo/psad/internal/alert"
	"github.com/psadgo/psad/internal/alert/extscript"
	"github.com/psadgo/psad/internal/alert/mail"
	"github.com/psadgo/psad/internal/alert/syslogout"
	"github.com/psadgo/psad/internal/autodl"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/daemon"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/inspect"
	"github.com/psadgo/psad/internal/logsrc"
	"github.com/psadgo/psad/internal/lookup"
	"github.com/psadgo/psad/internal/notify"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/protocols"
	"github.com/psadgo/psad/internal/psaddir"
	"github.com/psadgo/psad/internal/report"
	"github.com/psadgo/psad/internal/scan"
	"github.com/psadgo/psad/internal/sdnotify"
	"github.com/psadgo/psad/internal/syslogd"
)

// buildEngine makes the detection side of the daemon from a loaded
// configuration; HUP calls it again and swaps the result in whole.
func buildEngine(o *Options, cfg *config.Config, t *scan.Tracker, warn func(string)) (*daemon.Engine, *inspect.Engines, *protocols.Table, error) {
	ov := pipeline.Overrides{Interface: o.Interface, Restrict: o.RestrictIP, NoSnortSID: o.NoSnortSids, MaxSources: o.MaxSources}
	protos := protocols.Default()
	if p := cfg.Str("PROTOCOLS_FILE"); !cfg.Embedded() && p != "" {
		if tab, err := protocols.Load(p); err == nil {
			protos = tab
		} else {
			warn(fmt.Sprintf("%v; using the built-in protocol table", err))
		}
	}
	rules, warns, err := pipeline.RulesFromConfig(cfg, protos, ov)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, w := range warns {
		warn(w)
	}
	set, err := pipeline.SettingsFromConfig(cfg, ov)
	if err != nil {
		return nil, nil, nil, err
	}
	eng, err := inspect.Load(cfg, inspect.Options{NoSignatures: o.NoSignatures, NoSnortSIDs: o.NoSnortSids,
		NoICMPTypes: o.NoICMPTypes, NoICMP6Types: o.NoICMP6Types, NoPassiveOS: o.NoPassiveOS, SnortType: o.SnortType, Warn: warn})
	if err != nil {
		return nil, nil, nil, err
	}
	pl := pipeline.New(fwlog.NewParser(pipeline.ParserOptions(cfg, ov)), rules, t)
	pl.UseClock = true
	interval := time.Duration(cfg.Int("CHECK_INTERVAL")) * time.Second
	if o.Interval > 0 {
		interval = time.Duration(o.Interval) * time.Second
	}
	if interval <= 0 {
		interval = 5 * time.Second
	}
	de := &daemon.Engine{Pipeline: pl, Finish: eng.Finish, Settings: set, Interval: interval,
		ExpireEvery: cfg.Int("PERSISTENCE_CTR_THRESHOLD")}
	if !cfg.Y("ENABLE_PERSISTENCE") {
		de.ScanTimeout = time.Duration(cfg.Int("SCAN_TIMEOUT")) * time.Second
	}
	return de, eng, protos, nil
}

// hooks points the tracker at an engine set (and auto_dl list).
func hooks(t *scan.Tracker, eng *inspect.Engines, cfg *config.Config, o *Options, warn func(string)) {
	t.Inspect, t.Fingerprint, t.AutoDL = eng.Inspect, eng.Fingerprint, nil
	if o.NoAutoDL {
		return
	}
	path := o.AutoDL
	if path == "" && !cfg.Embedded() {
		path = cfg.Str("AUTO_DL_FILE")
	}
	if path == "" {
		return
	}
	l, ws, err := autodl.Load(path)
	if err != nil {
		warn(fmt.Sprintf("auto_dl: %v", err))
		return
	}
	for _, w := range ws {
		warn(fmt.Sprint(w))
	}
	if l.Len() > 0 {
		t.AutoDL = func(p *fwlog.Packet, cur int) (int, bool, bool) { return l.Match(p.Src, cur, p.Proto, p.DstPort) }
	}
}

// runDaemon is psad with no mode option: follow the firewall log, detect,
// alert. It stays in the foreground (systemd's Type=notify runs it so; a
// shell user can add "&"), see docs/compat.md.
func runDaemon(o *Options, cfg *config.Config, env Env) int {
	return runDaemonCtx(context.Background(), o, cfg, env, nil)
}

// runDaemonCtx runs the daemon until ctx is done or TERM/INT arrives;
// ready, when set, is called once the inputs run (tests).
func runDaemonCtx(parent context.Context, o *Options, cfg *config.Config, env Env, ready func()) int {
	level := slog.LevelInfo
	if o.Debug || o.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	warn := func(s string) { log.Warn(s) }

	for _, f := range []struct {
		on   bool
		what string
	}{
		{cfg.Y("ENABLE_AUTO_IDS"), "auto-blocking (ENABLE_AUTO_IDS)"},
	} {
		if f.on {
			log.Warn("not implemented yet, ignored: " + f.what)
		}
	}
	pidPath := cfg.Str("PSAD_PID_FILE")
	pid, err := psaddir.Acquire(pidPath)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	defer pid.Release()

	set, err := pipeline.SettingsFromConfig(cfg, pipeline.Overrides{MaxSources: o.MaxSources})
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	tracker := scan.NewTracker(set)
	eng, engines, protos, err := buildEngine(o, cfg, tracker, warn)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	hooks(tracker, engines, cfg, o, warn)

	// Scan state survives restarts in a bbolt file; IMPORT_OLD_SCANS says
	// whether a start continues from it.
	store, err := psaddir.OpenStore(filepath.Join(cfg.Str("PSAD_FIFO_DIR"), "psad_state.db"))
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	defer store.Close()
	if cfg.Y("IMPORT_OLD_SCANS") {
		_, n, bad, err := store.Load(tracker, true)
		if err != nil {
			warn(fmt.Sprintf("importing old scans: %v", err))
		}
		log.Info("imported old scans", "sources", n, "unreadable", bad)
	} else if _, _, _, err := store.Load(tracker, false); err != nil {
		warn(fmt.Sprintf("clearing old scans: %v", err))
	}
	var curEng atomic.Pointer[inspect.Engines]
	curEng.Store(engines)

	alerter, syslogW, err := newAlerter(o, cfg, engines, protos, env, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	defer func() {
		// TERM must not wait on a stuck mail server: what is not out
		// within a few seconds is dropped, and Close logs how much.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		alerter.Close(ctx)
		cancel()
		if syslogW != nil {
			syslogW.Close()
		}
	}()
	if syslogW != nil {
		syslogW.Send("starting up psad version " + Version)
	}

	sources, save, err := inputs(o, cfg, env, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	var onPacket func(time.Time, *fwlog.Packet)
	if cfg.Y("ENABLE_DSHIELD_ALERTS") {
		onPacket = alerter.Packet
		log.Warn("DShield reporting is on: every logged packet is sent to " + cfg.Str("DSHIELD_ALERT_EMAIL"))
	}
	d := daemon.New(daemon.Config{
		OnPacket: onPacket,
		Sources:  sources,
		Engine:   eng,
		Tracker:  tracker,
		Alert: func(b *daemon.Batch) {
			alerter.Batch(&scan.Closed{Now: b.Now, Tracker: b.Tracker, Sources: b.Sources, Raised: b.Raised})
			save()
		},
		Reload: func() (*daemon.Engine, error) {
			ncfg, err := loadConfig(o, env.Stderr)
			if err != nil {
				return nil, err
			}
			ne, neng, _, err := buildEngine(o, ncfg, tracker, warn)
			if err != nil {
				return nil, err
			}
			hooks(tracker, neng, ncfg, o, warn)
			curEng.Store(neng)
			return ne, nil
		},
		Log: log,
		Ready: func() {
			sdnotify.Send("READY=1")
			if ready != nil {
				ready()
			}
		},
	})

	ctx, stop := context.WithCancel(parent)
	defer stop()
	closeSock, err := serveStatus(ctx, cfg, d, curEng.Load, protos)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	defer closeSock()
	if p := cfg.Str("PSAD_CMDLINE_FILE"); p != "" && !o.Debug {
		os.WriteFile(p, []byte(strings.Join(o.Args, " ")+"\n"), 0o600)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			switch s {
			case syscall.SIGHUP:
				sdnotify.Send("RELOADING=1")
				if err := d.Reload(ctx); err != nil {
					log.Error("HUP: new configuration refused, still running the old one", "err", err)
				} else if syslogW != nil {
					syslogW.Send("received HUP signal, re-imported psad.conf")
				}
				sdnotify.Send("READY=1")
			case syscall.SIGUSR1:
				// psad dumps its scan hash with Data::Dumper; we write the
				// full report of the live state, which says the same in
				// psad's own words.
				path := fmt.Sprintf("%s.%d", cfg.Str("PRINT_SCAN_HASH"), os.Getpid())
				var buf bytes.Buffer
				d.Query(ctx, func(t *scan.Tracker) {
					e := curEng.Load()
					report.Write(&buf, t, report.Options{Version: Version, MinDL: 1, Protocols: protos,
						Sigs: e.TopSigInfo, DetailSigs: e.DetailSigInfo, ICMPType: e.ICMPTypeName})
				})
				if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
					log.Error("USR1 dump", "err", err)
				} else {
					log.Info("USR1: state written", "file", path)
				}
			default:
				sdnotify.Send("STOPPING=1")
				stop()
				return
			}
		}
	}()
	// Save changed sources every second, so a crash loses at most that.
	var mark uint64
	persist := func() {
		var srcs []scan.SourceState
		var cs scan.CounterState
		collect := func(t *scan.Tracker) {
			mark = t.ChangedSince(mark, func(s *scan.Source) { srcs = append(srcs, s.Export()) })
			if len(srcs) > 0 {
				cs = t.ExportCounters()
			}
		}
		if ctx.Err() != nil {
			collect(tracker) // the daemon has stopped: its state is ours now
		} else if err := d.Query(ctx, collect); err != nil {
			return
		}
		if len(srcs) == 0 {
			return
		}
		if err := store.Save(srcs, cs, nil); err != nil {
			log.Error("saving scan state", "err", err)
		}
	}
	persistDone := make(chan struct{})
	go func() {
		defer close(persistDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				persist()
			case <-ctx.Done():
				return
			}
		}
	}()
	if iv := sdnotify.WatchdogInterval(); iv > 0 {
		go func() {
			t := time.NewTicker(iv)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					sdnotify.Send("WATCHDOG=1")
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	err = d.Run(ctx)
	<-persistDone
	persist()
	save()
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	return 0
}

// newAlerter builds the alert senders from psad.conf: syslog (unless
// ALERTING_METHODS says nosyslog) and mail by SMTP (SMTP_SERVER) or the
// mail program (mailCmd), run with an argument list.
func newAlerter(o *Options, cfg *config.Config, eng *inspect.Engines, protos *protocols.Table, env Env, log *slog.Logger) (*notify.Notifier, *syslogout.Writer, error) {
	methods := strings.ToLower(cfg.Str("ALERTING_METHODS"))
	noMail := strings.Contains(methods, "nomail") || strings.Contains(methods, "noemail") || strings.Contains(methods, "no-email")
	noSyslog := strings.Contains(methods, "nosyslog") || strings.Contains(methods, "no-syslog")
	ac := notify.Config{
		MinDL: cfg.Int("MIN_DANGER_LEVEL"), EmailDL: cfg.Int("EMAIL_ALERT_DANGER_LEVEL"),
		AlertAll: cfg.Y("ALERT_ALL"), EmailLimit: cfg.Int("EMAIL_LIMIT"), LimitPerDst: cfg.Y("ENABLE_EMAIL_LIMIT_PER_DST"),
		LimitMsg: cfg.Y("EMAIL_LIMIT_STATUS_MSG"), SigSyslog: cfg.Y("ENABLE_SIG_MSG_SYSLOG"), SigSyslogN: cfg.Int("SIG_MSG_SYSLOG_THRESHOLD"),
		AlertPrefix: cfg.Str("MAIL_ALERT_PREFIX"), StatusPrefix: cfg.Str("MAIL_STATUS_PREFIX"),
		Hostname: cfg.Str("HOSTNAME"), Version: Version, Dir: cfg.Str("PSAD_DIR"), Log: log,
	}
	ac.ProgPath, _ = os.Executable()
	ac.Engines, ac.Protocols = eng, protos
	ac.Template = alert.Info{
		ProtocolScanThreshold: cfg.Int("PROTOCOL_SCAN_THRESHOLD"),
		MACReporting:          cfg.Y("ENABLE_MAC_ADDR_REPORTING"),
		SnortSIDStr:           cfg.Str("SNORT_SID_STR"),
	}
	ac.TopFiles = &notify.TopFiles{Ports: cfg.Int("TOP_PORTS_LOG_THRESHOLD"), Sigs: cfg.Int("TOP_SIGS_LOG_THRESHOLD"), IPs: cfg.Int("TOP_IP_LOG_THRESHOLD")}
	if cfg.Y("ENABLE_DSHIELD_ALERTS") {
		ac.DShield = &notify.DShield{UserID: cfg.Str("DSHIELD_USER_ID"), Interval: time.Duration(max(cfg.Int("DSHIELD_ALERT_INTERVAL"), 1)) * time.Hour,
			DLThreshold: cfg.Int("DSHIELD_DL_THRESHOLD"), To: cfg.Str("DSHIELD_ALERT_EMAIL"), From: none(cfg.Str("DSHIELD_USER_EMAIL")),
			EmailFile: cfg.Str("DSHIELD_EMAIL_FILE"), CounterFile: cfg.Str("DSHIELD_COUNTER_FILE")}
	}
	if !o.NoNetstat {
		ac.Ports = func() (*notify.Ports, error) { return notify.ReadProcNet("/proc/net") }
	}
	if !noMail {
		var err error
		if ac.Mailer, ac.To, ac.From, err = mailer(cfg); err != nil {
			return nil, nil, err
		}
	}
	if o.NoDaemon {
		ac.Stdout = env.Stdout
	}
	ac.DNSOn = cfg.Y("ENABLE_DNS_LOOKUPS") && !o.NoRDNS
	ac.WhoisOn = cfg.Y("ENABLE_WHOIS_LOOKUPS") && !o.NoWhois
	ac.WhoisForceSrc = cfg.Y("ENABLE_WHOIS_FORCE_SRC_IP")
	if ac.DNSOn || ac.WhoisOn {
		ac.Lookups = lookups(cfg, ac.DNSOn, ac.WhoisOn, log)
	}
	if cfg.Y("ENABLE_EXT_SCRIPT_EXEC") && !o.NoDaemon {
		r, err := extscript.New(extscript.Config{Command: cfg.Str("EXTERNAL_SCRIPT"), PerAlert: cfg.Y("EXEC_EXT_SCRIPT_PER_ALERT"),
			Logf: func(f string, a ...any) { log.Warn(fmt.Sprintf(f, a...)) }})
		if err != nil {
			return nil, nil, err
		}
		ac.Script = r
	}
	var w *syslogout.Writer
	if !noSyslog {
		var err error
		w, err = syslogout.New(syslogout.Config{Identity: cfg.Str("SYSLOG_IDENTITY"), Facility: cfg.Str("SYSLOG_FACILITY"),
			Priority: cfg.Str("SYSLOG_PRIORITY"), Network: none(cfg.Str("SYSLOG_SERVER_NETWORK")), Addr: none(cfg.Str("SYSLOG_SERVER"))})
		if err != nil {
			log.Warn("syslog alerts disabled", "err", err)
			w = nil
		} else {
			ac.Syslog = w
			if o.Debug || o.TestMode {
				ac.Syslog = debugEcho{w, env.Stderr}
			}
		}
	}
	return notify.New(ac, nil), w, nil
}

func none(s string) string {
	if s == "NONE" {
		return ""
	}
	return s
}

// inputs chooses what the daemon reads, as psad.conf says, and returns a
// function that saves the inputs' positions for a restart.
func inputs(o *Options, cfg *config.Config, env Env, log *slog.Logger) ([]daemon.Source, func(), error) {
	var srcs []daemon.Source
	var saves []func()
	posDir := cfg.Str("PSAD_FIFO_DIR")
	tags := strings.Fields(strings.ReplaceAll(none(cfg.Str("SYSLOG_KERNEL_TAGS")), ",", " "))
	if len(tags) == 0 {
		tags = []string{"kernel"}
	}
	if udp, tcp, tlsAddr := none(cfg.Str("SYSLOG_LISTEN_UDP")), none(cfg.Str("SYSLOG_LISTEN_TCP")), none(cfg.Str("SYSLOG_LISTEN_TLS")); udp != "" || tcp != "" || tlsAddr != "" {
		sc := syslogd.Config{UDP: udp, TCP: tcp, TLS: tlsAddr, KernelTags: tags,
			Logf: func(f string, a ...any) { log.Debug(fmt.Sprintf(f, a...)) }}
		if tlsAddr != "" {
			cert, err := tls.LoadX509KeyPair(cfg.Str("SYSLOG_TLS_CERT"), cfg.Str("SYSLOG_TLS_KEY"))
			if err != nil {
				return nil, nil, fmt.Errorf("SYSLOG_TLS_CERT/SYSLOG_TLS_KEY: %w", err)
			}
			sc.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		srv, err := syslogd.Listen(sc)
		if err != nil {
			return nil, nil, err
		}
		srcs = append(srcs, daemon.Source{Name: "syslog listener", Run: func(ctx context.Context, sink func([]byte) bool) error {
			return srv.Serve(ctx, func(l []byte) { sink(l) })
		}})
	}
	switch {
	case o.Stdin:
		srcs = append(srcs, daemon.Source{Name: "stdin", Run: func(ctx context.Context, sink func([]byte) bool) error {
			return logsrc.Each(env.Stdin, func(l []byte) bool { return sink(l) })
		}})
	case cfg.Y("ENABLE_KMSG_READ"):
		posFile := filepath.Join(posDir, "kmsg_seq")
		var mu sync.Mutex
		var last *uint64
		// Sequence numbers restart at boot: resume only within one boot.
		bootID, _ := logsrc.BootID()
		var saved kmsgPos
		if loadJSON(posFile, &saved) && saved.Boot == bootID && bootID != "" {
			seq := saved.Seq
			last = &seq
		}
		boot, _ := logsrc.BootTime()
		host, _ := os.Hostname()
		kready := make(chan struct{})
		var konce sync.Once
		srcs = append(srcs, daemon.Source{Name: "/dev/kmsg", Ready: kready, Run: func(ctx context.Context, sink func([]byte) bool) error {
			var buf []byte
			mu.Lock()
			start := last
			mu.Unlock()
			return logsrc.Kmsg(ctx, logsrc.KmsgOptions{AfterSeq: start, Ready: func() { konce.Do(func() { close(kready) }) }}, func(r logsrc.KmsgRecord) {
				if !r.Kernel() {
					// Written to /dev/kmsg from user space: not a packet
					// the kernel logged.
					return
				}
				buf = logsrc.KmsgLine(buf[:0], r, boot, host)
				if sink(buf) {
					mu.Lock()
					seq := r.Seq
					last = &seq
					mu.Unlock()
				}
			})
		}})
		saves = append(saves, func() {
			mu.Lock()
			defer mu.Unlock()
			if last != nil {
				saveJSON(posFile, kmsgPos{Boot: bootID, Seq: *last})
			}
		})
	case cfg.Y("ENABLE_FW_MSG_READ_CMD"):
		cmd := cfg.Str("FW_MSG_READ_CMD")
		posFile := filepath.Join(posDir, "journal_cursor")
		var mu sync.Mutex
		var cursor string
		loadJSON(posFile, &cursor)
		srcs = append(srcs, daemon.Source{Name: "journal", Run: func(ctx context.Context, sink func([]byte) bool) error {
			var buf []byte
			mu.Lock()
			after := cursor
			mu.Unlock()
			rejected, err := logsrc.Journal(ctx, logsrc.JournalOptions{Command: cmd, AfterCursor: after}, func(r logsrc.JournalRecord) {
				buf = logsrc.JournalLine(buf[:0], r)
				if sink(buf) {
					mu.Lock()
					cursor = r.Cursor
					mu.Unlock()
				}
			})
			if rejected > 0 {
				log.Info("journal records not from the kernel ignored", "count", rejected)
			}
			return err
		}})
		saves = append(saves, func() {
			mu.Lock()
			defer mu.Unlock()
			if cursor != "" {
				saveJSON(posFile, cursor)
			}
		})
	default:
		path := o.MessagesFile
		if path == "" {
			path = cfg.Str("IPT_SYSLOG_FILE")
		}
		posFile := filepath.Join(posDir, "input_pos")
		var mu sync.Mutex
		var last *logsrc.Pos
		var start logsrc.Pos
		if loadJSON(posFile, &start) {
			last = &start
		}
		rejected := 0
		ktags := make([][]byte, len(tags))
		for i, t := range tags {
			ktags[i] = []byte(t)
		}
		fready := make(chan struct{})
		var fonce sync.Once
		srcs = append(srcs, daemon.Source{Name: path, Ready: fready, Run: func(ctx context.Context, sink func([]byte) bool) error {
			mu.Lock()
			from := last
			mu.Unlock()
			return logsrc.Follow(ctx, path, logsrc.FollowOptions{Start: from, Ready: func() { fonce.Do(func() { close(fready) }) },
				Logf: func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) }},
				func(l []byte, pos logsrc.Pos) {
					ok := true
					if fwlog.HasInOut(l) && !fwlog.KernelTagged(l, ktags) {
						// A line that looks like a firewall record but was
						// not written by the kernel (logger, an application)
						// is a forgery: count it, never act on it.
						rejected++
						if rejected == 1 || rejected%1000 == 0 {
							log.Warn("ignoring firewall-looking lines not tagged by the kernel", "count", rejected)
						}
					} else {
						ok = sink(l)
					}
					if ok {
						mu.Lock()
						p := pos
						last = &p
						mu.Unlock()
					}
				})
		}})
		saves = append(saves, func() {
			mu.Lock()
			defer mu.Unlock()
			if last != nil {
				saveJSON(posFile, *last)
			}
		})
	}
	return srcs, func() {
		for _, s := range saves {
			s()
		}
	}, nil
}

// kmsgPos is the saved /dev/kmsg position.
type kmsgPos struct {
	Boot string
	Seq  uint64
}

func loadJSON(path string, v any) bool {
	data, err := os.ReadFile(path)
	return err == nil && json.Unmarshal(data, v) == nil
}

// saveJSON writes v atomically (rename), so a crash leaves the old or the
// new position, never half of one.
func saveJSON(path string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	os.MkdirAll(filepath.Dir(path), 0o700)
	tmp := path + ".tmp"
	if os.WriteFile(tmp, data, 0o600) == nil {
		os.Rename(tmp, path)
	}
}

// signalDaemon implements -K (TERM) and -H (HUP) against the running
// daemon named by PSAD_PID_FILE.
func signalDaemon(cfg *config.Config, sig syscall.Signal, out, errw io.Writer) int {
	path := cfg.Str("PSAD_PID_FILE")
	pid, err := psaddir.Running(path)
	if err != nil {
		fmt.Fprintf(errw, "[*] %v\n", err)
		return 1
	}
	if pid == 0 {
		fmt.Fprintf(errw, "[-] psad is not running (no locked pid file %s)\n", path)
		if sig == syscall.SIGTERM {
			return 0
		}
		return 1
	}
	if err := syscall.Kill(pid, sig); err != nil {
		fmt.Fprintf(errw, "[*] could not signal psad (pid %d): %v\n", pid, err)
		return 1
	}
	switch sig {
	case syscall.SIGUSR1:
		fmt.Fprintf(out, "[+] USR1 signal sent to psad (pid: %d); state is written to %s.%d\n", pid, cfg.Str("PRINT_SCAN_HASH"), pid)
		return 0
	case syscall.SIGTERM:
		for i := 0; i < 100; i++ {
			if p, _ := psaddir.Running(path); p == 0 {
				fmt.Fprintf(out, "[+] psad (pid: %d) stopped.\n", pid)
				return 0
			}
			time.Sleep(50 * time.Millisecond)
		}
		fmt.Fprintf(errw, "[*] psad (pid: %d) did not stop within 5 seconds\n", pid)
		return 1
	default:
		fmt.Fprintf(out, "[+] HUP signal sent to psad (pid: %d).\n", pid)
		return 0
	}
}

// runRestart is -R: stop the running daemon and start it again with the
// arguments it was started with (PSAD_CMDLINE_FILE), detached from this
// terminal. psad 2.4.6 restarted through a shell and, without a saved
// command line, with the default configuration; we never use a shell and
// fall back to this invocation's -c/-O.
func runRestart(o *Options, cfg *config.Config, env Env) int {
	args := []string{}
	if data, err := os.ReadFile(cfg.Str("PSAD_CMDLINE_FILE")); err == nil {
		args = strings.Fields(strings.SplitN(string(data), "\n", 2)[0])
	}
	if len(args) == 0 {
		if o.Config != "" {
			args = append(args, "-c", o.Config)
		}
		if len(o.OverrideConfig) > 0 {
			args = append(args, "-O", strings.Join(o.OverrideConfig, ","))
		}
	}
	if code := signalDaemon(cfg, syscall.SIGTERM, env.Stdout, env.Stderr); code != 0 {
		return code
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	defer null.Close()
	fmt.Fprintf(env.Stdout, "[+] Restarting psad daemons on %s\n", cfg.Str("HOSTNAME"))
	p, err := os.StartProcess(self, append([]string{self}, args...), &os.ProcAttr{
		Files: []*os.File{null, null, null},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] restarting psad: %v\n", err)
		return 1
	}
	p.Release()
	return 0
}

// mailer builds the alert mail sender from psad.conf: SMTP when
// SMTP_SERVER is set, else the mail program (mailCmd) run with an
// argument list; nil when neither is available.
func mailer(cfg *config.Config) (mail.Sender, []string, string, error) {
	to, err := mail.ParseAddresses(cfg.Str("EMAIL_ADDRESSES"))
	if err != nil {
		return nil, nil, "", fmt.Errorf("EMAIL_ADDRESSES: %w", err)
	}
	from := none(cfg.Str("MAIL_FROM_ADDRESS"))
	if from == "" {
		h, _ := os.Hostname()
		from = "psad@" + h
	}
	if srv := none(cfg.Str("SMTP_SERVER")); srv != "" {
		return mail.NewSMTP(mail.SMTPConfig{Host: srv, Port: cfg.Int("SMTP_PORT"), StartTLS: cfg.Str("SMTP_STARTTLS"),
			Username: none(cfg.Str("SMTP_USER")), Password: none(cfg.Str("SMTP_PASSWORD")), Timeout: 30 * time.Second}), to, from, nil
	}
	if p, ok := cfg.Cmd("mail"); ok {
		return mail.NewExec(mail.ExecConfig{Path: p, Mode: "mail", Timeout: 30 * time.Second}), to, from, nil
	}
	return nil, to, from, nil
}

// lookups builds the reverse DNS and whois cache from psad.conf.
func lookups(cfg *config.Config, dnsOn, whoisOn bool, log *slog.Logger) *lookup.Cache {
	return lookup.NewCache(lookup.CacheConfig{
		Whois:      lookup.WhoisConfig{Server: none(cfg.Str("WHOIS_SERVER")), Timeout: time.Duration(cfg.Int("WHOIS_TIMEOUT")) * time.Second},
		DNS:        lookup.ResolverConfig{Server: none(cfg.Str("DNS_SERVER"))},
		WhoisReuse: cfg.Int("WHOIS_LOOKUP_THRESHOLD"), DNSReuse: cfg.Int("DNS_LOOKUP_THRESHOLD"),
		NoWhois: !whoisOn, NoDNS: !dnsOn, ForceASCII: cfg.Y("ENABLE_WHOIS_FORCE_ASCII"), Logger: log,
	})
}

// debugEcho sends syslog messages and, as psad's --debug does, prints
// each one on stderr as "[+] syslog msg: <msg>".
type debugEcho struct {
	w   notify.Syslog
	out io.Writer
}

func (d debugEcho) Send(msg string) error {
	fmt.Fprintf(d.out, "[+] syslog msg: %s\n", msg)
	return d.w.Send(msg)
}
