package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/psadgo/psad/internal/argv"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/psadgo/psad/internal/alert"
	"github.com/psadgo/psad/internal/alert/extscript"
	"github.com/psadgo/psad/internal/alert/mail"
	"github.com/psadgo/psad/internal/alert/syslogout"
	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/ctl"
	"github.com/psadgo/psad/internal/daemon"
	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/hugepage"
	"github.com/psadgo/psad/internal/inputsel"
	"github.com/psadgo/psad/internal/localnet"
	"github.com/psadgo/psad/internal/lookup"
	"github.com/psadgo/psad/internal/metrics"
	"github.com/psadgo/psad/internal/notify"
	"github.com/psadgo/psad/internal/psaddir"
	"github.com/psadgo/psad/internal/report"
	"github.com/psadgo/psad/internal/respond"
	"github.com/psadgo/psad/internal/scan"
	"github.com/psadgo/psad/internal/sdnotify"
	"github.com/psadgo/psad/internal/source"
)

// runDaemon is psad with no mode option: follow the firewall log, detect,
// alert. It stays in the foreground (systemd's Type=notify runs it so; a
// shell user can add "&"), see docs/compat.md.
func runDaemon(o *argv.Options, cfg *config.Config, env Env) int {
	return runDaemonCtx(context.Background(), o, cfg, env, nil)
}

// runDaemonCtx builds the daemon's parts from the configuration and runs
// it until ctx is done or TERM/INT arrives; ready, when set, is called
// once the inputs read (tests). Every goroutine is the daemon's.
// floodReserve is the address space the daemon sets aside for a flood's
// state to take huge pages in (hugepage.Reserve): a 100,000-source
// flood's peak is about 130 MB. Only what the heap fills becomes memory.
const floodReserve = 256 << 20

func runDaemonCtx(ctx context.Context, o *argv.Options, cfg *config.Config, env Env, ready func()) int {
	level := slog.LevelInfo
	if o.Debug || o.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	fail := func(err error) int {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	logServer := applyLogServer(o, cfg)
	set, err := cfg.Settings()
	if err != nil {
		return fail(err)
	}
	homeWarnings := localHome(set, log)
	for _, w := range append(set.Warnings, homeWarnings...) {
		log.Warn(w)
	}
	if logServer != "" {
		log.Info(logServer)
	}
	var fwWarning string
	if set.FWLoggingCheck && !o.NoFwcheck {
		fwWarning = warnFirewall(set, log)
	}
	pid, err := psaddir.Acquire(set.Files.PidFile)
	if err != nil {
		return fail(err)
	}
	defer pid.Release()
	if dd := set.Daemon; !dd.ImportOldScans {
		// The scans are cleared at start (see daemon.Config.ImportScans),
		// and so are the files that described them.
		moved, removed, err := psaddir.ClearOldScans(set.Files.PsadDir,
			psaddir.OldScans{Archive: dd.ScanArchive, ArchiveDir: dd.ArchiveDir, MinDL: dd.MinArchiveDL})
		if err != nil {
			log.Warn("the previous run's scan directories were not all cleared", "err", err)
		}
		if moved+removed > 0 {
			log.Info("cleared the previous run's scan directories", "archived", moved, "removed", removed)
		}
		// psad empties its counter and top files too: they describe
		// the scans just cleared.
		for _, p := range set.Files.Counters {
			if err := os.Truncate(p, 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
				log.Warn("the previous run's counter file was not emptied", "err", err)
			}
		}
	}

	var current atomic.Pointer[notify.Notifier]
	rt, err := buildRuntime(o, set, env, log, nil)
	if err != nil {
		return fail(err)
	}
	current.Store(rt.Notifier.(notifier).Notifier)
	if rt.syslog != nil {
		for _, w := range homeWarnings {
			rt.syslog.Send(w)
		}
		for _, l := range importLines(rt.Detector) {
			rt.syslog.Send(l)
		}
	}
	if fwWarning != "" && !o.TestMode {
		current.Load().Status(checkSubject(set), fwWarning)
	}
	inputs, err := buildInputs(o, set, env, log)
	if err != nil {
		rt.Notifier.Close(context.Background())
		return fail(err)
	}
	store, err := psaddir.OpenStore(filepath.Join(set.Files.FifoDir, "psad_state.db"))
	if err != nil {
		rt.Notifier.Close(context.Background())
		return fail(err)
	}
	defer store.Close()
	sock, err := psaddir.ListenUnix(ctl.SocketPath(set.Files.RunDir))
	if err != nil {
		rt.Notifier.Close(context.Background())
		return fail(fmt.Errorf("control socket: %w", err))
	}
	var policy *block.Policy
	services := []func(context.Context) error{}
	if set.Block.AutoIDS {
		mail := func(subject, body string) { current.Load().Status(subject, body) }
		syslog := func(line string) { current.Load().Syslog(line) }
		if policy, err = respond.NewPolicy(set, rt.Detector, store, mail, syslog, true, log.With("part", "block")); err != nil {
			sock.Close()
			rt.Notifier.Close(context.Background())
			return fail(err)
		}
		services = append(services, func(ctx context.Context) error { policy.Run(ctx); return nil })
		if p := set.Files.AutoIPTSock; p != "" && p != ctl.SocketPath(set.Files.RunDir) {
			psock, err := psaddir.ListenUnix(p)
			if err != nil {
				sock.Close()
				rt.Notifier.Close(context.Background())
				return fail(fmt.Errorf("AUTO_IPT_SOCK: %w", err))
			}
			services = append(services, func(ctx context.Context) error {
				return ctl.ServePsad(ctx, psock, func(ctx context.Context, req ctl.Request, w io.Writer) error {
					return respond.Handle(ctx, policy, req, w)
				}, 10*time.Second)
			})
		}
	}
	var malformed func([]byte, error)
	if !o.NoIPTErrors && set.Files.FWErrorLog != "" {
		el := psaddir.OpenErrorLog(set.Files.FWErrorLog, log.With("part", "errlog"))
		defer el.Close()
		malformed = func(line []byte, _ error) { el.Add(line) }
	}
	if dd := set.Daemon; dd.DiskMaxPercent > 0 && dd.DiskCheckEvery > 0 {
		a := &set.Alert
		g := &psaddir.DiskGuard{Dir: set.Files.PsadDir, ArchiveDir: dd.ArchiveDir, MaxPercent: dd.DiskMaxPercent,
			Every: dd.DiskCheckEvery, Hostname: a.Hostname, ErrorPrefix: a.MailErrorPrefix, Log: log.With("part", "disk"),
			Syslog: func(l string) { current.Load().Syslog(l) },
			Mail:   func(subject string) { current.Load().Status(subject, "") }}
		services = append(services, g.Run)
	}
	var d *daemon.Daemon
	if addr := set.MetricsAddress; addr != "" {
		l, err := metrics.Listen(addr)
		if err != nil {
			sock.Close()
			rt.Notifier.Close(context.Background())
			return fail(err)
		}
		services = append(services, func(ctx context.Context) error {
			c := metrics.NewCollector(snapshot(d, inputs, &current, policy))
			return metrics.Serve(ctx, l, metrics.Handler(c, log.With("part", "metrics")))
		})
	}
	if p := set.Files.CmdlineFile; p != "" && !o.Debug {
		if err := psaddir.WriteAtomic(p, []byte(strings.Join(o.Args, " ")+"\n"), 0o600); err != nil {
			log.Warn("psad -R will not know this command line", "err", err)
		}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	defer signal.Stop(sigs)

	var blk daemon.Blocker
	if policy != nil {
		blk = blocker{policy}
	}
	var huge daemon.Advisor
	if r := hugepage.Reserve(floodReserve); r != nil {
		huge = r
	}
	d = daemon.New(daemon.Config{
		HugePages:   huge,
		Blocker:     blk,
		Sources:     inputs,
		Runtime:     rt.Runtime,
		Tracker:     scan.NewTracker(rt.Detector.Scan),
		Store:       stateStore{store, log.With("part", "state"), func(l string) { current.Load().Syslog(l) }},
		ImportScans: set.Daemon.ImportOldScans,
		Reload: func() (*daemon.Runtime, error) {
			ncfg, err := loadConfig(o, env.Stderr)
			if err != nil {
				return nil, err
			}
			applyDataOptions(o, ncfg)
			applyLogServer(o, ncfg)
			nset, err := ncfg.Settings()
			if err != nil {
				return nil, err
			}
			nwarn := localHome(nset, log)
			for _, w := range nwarn {
				log.Warn(w)
			}
			nrt, err := buildRuntime(o, nset, env, log, current.Load())
			if err != nil {
				return nil, err
			}
			switch {
			case policy != nil:
				rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := respond.Reconfigure(rctx, policy, set, nset, nrt.Detector,
					func(subject, body string) { current.Load().Status(subject, body) },
					func(line string) { current.Load().Syslog(line) }, log.With("part", "block"))
				cancel()
				if err != nil {
					log.Error("active response keeps its old settings", "err", err)
				}
			case nset.Block.AutoIDS:
				log.Warn("ENABLE_AUTO_IDS Y takes effect at the next start, not on HUP")
			}
			current.Store(nrt.Notifier.(notifier).Notifier)
			if nrt.syslog != nil {
				nrt.syslog.Send("received HUP signal, re-importing psad.conf")
				for _, w := range nwarn {
					nrt.syslog.Send(w)
				}
				for _, l := range importLines(nrt.Detector) {
					nrt.syslog.Send(l)
				}
			}
			return nrt.Runtime, nil
		},
		Malformed: malformed,
		Signals:   sigs,
		Services:  append(services, func(ctx context.Context) error { return ctl.Serve(ctx, sock, handler(&d, policy), 10*time.Second) }),
		Notify:    func(s string) { sdnotify.Send(s) },
		Watchdog:  sdnotify.WatchdogInterval(),
		Log:       log,
		Ready:     ready,
	})
	if err := d.Run(ctx); err != nil {
		return fail(err)
	}
	return 0
}

// localHome puts the daemon's HOME_NET into set (spec operations 2.7):
// the host's connected networks with ENABLE_INTF_LOCAL_NETS, otherwise
// psad.conf's, checked against them. It returns psad's config warnings.
// -A keeps psad.conf's HOME_NET, so its report does not depend on the
// host it runs on.
func localHome(set *config.Settings, log *slog.Logger) []string {
	nets, err := localnet.Connected()
	if err != nil {
		log.Warn("the connected networks are unknown: HOME_NET is psad.conf's", "err", err)
		return nil
	}
	h := localnet.HomeNet(set.Daemon.IntfLocalNets, set.Detect.HomeNet, set.Daemon.HomeNetUnset, nets)
	set.Detect.HomeNet = h.Set
	if h.Derived {
		home := "any"
		if h.Set != nil {
			home = h.Set.String()
		}
		log.Info("HOME_NET is the connected networks (ENABLE_INTF_LOCAL_NETS)", "home_net", home)
	}
	return h.Warnings
}

// importLines are psad's syslog lines for the data the detector loaded,
// in psad's order, ending with the start-up line psad writes after them
// at start and at every HUP.
func importLines(det *detect.Detector) []string {
	out := det.Engines.Imported()
	return append(out, "starting up psad version "+Version)
}

// built is a daemon.Runtime with the syslog writer its Notifier owns.
type built struct {
	*daemon.Runtime
	syslog *syslogout.Writer
}

// buildRuntime builds everything one configuration decides: the
// detection engine, the alert cycle and the status report. prev is the
// running Notifier on a reload, whose alert-cycle state carries over.
func buildRuntime(o *argv.Options, set *config.Settings, env Env, log *slog.Logger, prev *notify.Notifier) (built, error) {
	do := detectOptions(o)
	do.Warn = func(s string) { log.Warn(s) }
	det, err := detect.Build(set, do)
	if err != nil {
		return built{}, err
	}
	n, w, err := newNotifier(o, set, det, env, log, prev)
	if err != nil {
		return built{}, err
	}
	rt := &daemon.Runtime{
		Detector: det, Notifier: n, Interval: set.Daemon.CheckInterval,
		DumpPath: fmt.Sprintf("%s.%d", set.Files.PrintScanHash, os.Getpid()),
		Report:   reporter(set, det, n.Notifier.EmailAlerts, n.Notifier.DShieldStats),
	}
	if o.Interval > 0 {
		rt.Interval = time.Duration(o.Interval) * time.Second
	}
	if !set.Daemon.Persistence {
		rt.ScanTimeout = set.Daemon.ScanTimeout
		rt.ExpireEvery = set.Daemon.PersistenceCtrThreshold
	}
	return built{rt, w}, nil
}

// reporter renders psad's status report (-S) of the live state with this
// configuration's limits and engines.
func reporter(set *config.Settings, det *detect.Detector, emails func(*scan.Source) int, dshield func() string) func(io.Writer, *scan.Tracker, daemon.ReportQuery) {
	return func(w io.Writer, t *scan.Tracker, q daemon.ReportQuery) {
		if renderQuery(w, set, det, emails, t, q) {
			return
		}
		ro := report.Options{Version: Version, MinDL: 1, Protocols: det.Protocols, EmailAlerts: emails}
		if e := det.Engines; e != nil {
			ro.Sigs, ro.DetailSigs, ro.ICMPType = e.TopSigInfo, e.DetailSigInfo, e.ICMPTypeName
		}
		if !q.Full {
			ro.MinDL = max(q.MinDL, set.Alert.MinDangerLevel)
			ro.SigsMax, ro.IPMax, ro.PortsMax = set.Status.SigsThreshold, set.Status.IPThreshold, set.Status.PortsThreshold
			ro.SummaryOnly = q.Summary
			ro.StatusSections = func(w io.Writer) {
				if stats := dshield(); stats != "" {
					io.WriteString(w, "    DShield stats:\n")
					for l := range strings.Lines(stats) {
						io.WriteString(w, "      "+l)
					}
					io.WriteString(w, "\n")
				}
				if q.Blocks != nil {
					q.Blocks(w)
				}
			}
		}
		report.Write(w, t, ro)
	}
}

// handler answers the control socket: -S from the live state, and the
// blocking commands when active response is on (policy not nil).
func handler(d **daemon.Daemon, policy *block.Policy) ctl.Handler {
	return func(ctx context.Context, req ctl.Request, w io.Writer) error {
		if req.Op == "explain" || req.Op == "status" && req.JSON {
			return liveQuery(ctx, *d, policy, req, w)
		}
		if req.Op != "status" {
			if policy == nil {
				return fmt.Errorf("active response is off (ENABLE_AUTO_IDS N)")
			}
			return respond.Handle(ctx, policy, req, w)
		}
		q := daemon.ReportQuery{Summary: req.Summary, MinDL: req.MinDL}
		if policy != nil {
			only, err := parseStatusIP(req.Arg)
			if req.Arg != "" && err != nil {
				return err
			}
			list := policy.List()
			q.Blocks = func(w io.Writer) { respond.BlockSection(w, list, only, time.Now()) }
		}
		var buf bytes.Buffer
		if err := (*d).Query(ctx, func(t *scan.Tracker, rt *daemon.Runtime) {
			rt.Report(&buf, t, q)
		}); err != nil {
			return fmt.Errorf("daemon busy: %w", err)
		}
		if policy != nil {
			respond.WriteStatus(policy)(&buf)
		}
		_, err := w.Write(buf.Bytes())
		return err
	}
}

// blocker is the block policy as the daemon's Blocker.
type blocker struct{ *block.Policy }

func (b blocker) Close(ctx context.Context) { b.Policy.Close(ctx) }

// notifier is the alert cycle as the daemon sees it; closing it also
// closes its syslog writer, once what was queued has gone out.
type notifier struct {
	*notify.Notifier
	syslog *syslogout.Writer
}

func (n notifier) Close(ctx context.Context) {
	n.Notifier.Close(ctx)
	if n.syslog != nil {
		n.syslog.Close()
	}
}

// newNotifier builds the alert cycle: syslog (unless ALERTING_METHODS
// says nosyslog) and mail by SMTP (SMTP_SERVER) or the mail program,
// run with an argument list.
func newNotifier(o *argv.Options, set *config.Settings, det *detect.Detector, env Env, log *slog.Logger, prev *notify.Notifier) (notifier, *syslogout.Writer, error) {
	a := &set.Alert
	nc := notify.Config{
		MinDL: a.MinDangerLevel, EmailDL: a.EmailAlertDangerLevel, AlertAll: a.AlertAll, EmailLimit: a.EmailLimit,
		LimitPerDst: a.EmailLimitPerDst, LimitMsg: a.EmailLimitStatusMsg, SigSyslog: a.SigMsgSyslog, SigSyslogN: a.SigMsgSyslogThreshold,
		AlertPrefix: a.MailAlertPrefix, StatusPrefix: a.MailStatusPrefix, Hostname: a.Hostname, Version: Version,
		Dir: set.Files.PsadDir, FilesMinDL: set.Detect.DirFilesMinDL, ImportCounts: set.Daemon.ImportOldScans, ShowAllSigs: a.ShowAllSignatures,
		Log: log.With("part", "alerts"), Engines: det.Engines, Protocols: det.Protocols,
		Template: alert.Info{ProtocolScanThreshold: set.Detect.ProtocolScanThreshold, MACReporting: a.MACReporting,
			SnortSIDStr: set.Detect.SnortSIDStr},
		TopFiles: &notify.TopFiles{Ports: a.TopPortsThreshold, Sigs: a.TopSigsThreshold, IPs: a.TopIPThreshold, Every: a.TopEvery,
			Paths: set.Files.Counters},
		Throttle: a.EmailThrottle,
	}
	nc.ProgPath, _ = os.Executable()
	dd := set.Daemon
	retired := psaddir.OldScans{Archive: dd.ScanArchive, ArchiveDir: dd.ArchiveDir, MinDL: dd.MinArchiveDL}
	nc.Retire = func(g scan.Gone) error { return psaddir.RetireScan(set.Files.PsadDir, g.Addr, g.DL, retired) }
	if ds := a.DShield; ds.Enable {
		nc.DShield = &notify.DShield{UserID: ds.UserID, Interval: max(ds.Interval, time.Hour), DLThreshold: ds.DLThreshold,
			To: ds.AlertEmail, From: ds.UserEmail, EmailFile: ds.EmailFile, CounterFile: ds.CounterFile}
		log.Warn("DShield reporting is on: every logged packet is sent to " + ds.AlertEmail)
	}
	if !o.NoNetstat {
		nc.Ports = func() (*notify.Ports, error) { return notify.ReadProcNet("/proc/net") }
	}
	if !a.NoMail {
		var err error
		if nc.Mailer, nc.To, nc.From, err = mailer(a); err != nil {
			return notifier{}, nil, err
		}
	}
	if o.NoDaemon {
		nc.Stdout = env.Stdout
	}
	nc.DNSOn = a.DNSLookups && !o.NoRDNS
	nc.WhoisOn = a.WhoisLookups && !o.NoWhois
	nc.WhoisForceSrc = a.WhoisForceSrcIP
	if nc.DNSOn || nc.WhoisOn {
		nc.Lookups = lookups(a, nc.DNSOn, nc.WhoisOn, log)
	}
	if a.ExtScript.Enable && !o.NoDaemon {
		r, err := extscript.New(extscript.Config{Command: a.ExtScript.Command, PerAlert: a.ExtScript.PerAlert,
			Logf: func(f string, args ...any) { log.Warn(fmt.Sprintf(f, args...)) }})
		if err != nil {
			return notifier{}, nil, err
		}
		nc.Script = r
	}
	var w *syslogout.Writer
	if !a.NoSyslog {
		var err error
		s := a.Syslog
		w, err = syslogout.New(syslogout.Config{Identity: s.Identity, Facility: s.Facility, Priority: s.Priority,
			Network: s.Network, Addr: s.Server})
		if err != nil {
			log.Warn("syslog alerts disabled", "err", err)
			w = nil
		} else {
			nc.Syslog = w
			if o.Debug || o.TestMode {
				nc.Syslog = debugEcho{w, env.Stderr}
			}
		}
	}
	return notifier{notify.New(nc, prev), w}, w, nil
}

// buildInputs chooses what the daemon reads, as psad.conf says.
func buildInputs(o *argv.Options, set *config.Settings, env Env, log *slog.Logger) ([]daemon.Source, error) {
	log = log.With("part", "input")
	in, why := inputsel.Resolve(set.Inputs, o.MessagesFile)
	log.Info("firewall messages input", "journal", in.FWMsgReadCmd, "why", why)
	var srcs []daemon.Source
	if in.ListenUDP != "" || in.ListenTCP != "" || in.ListenTLS != "" {
		lc := source.ListenerConfig{UDP: in.ListenUDP, TCP: in.ListenTCP, TLS: in.ListenTLS, KernelTags: in.KernelTags}
		if in.ListenTLS != "" {
			cert, err := tls.LoadX509KeyPair(in.TLSCert, in.TLSKey)
			if err != nil {
				return nil, fmt.Errorf("SYSLOG_TLS_CERT/SYSLOG_TLS_KEY: %w", err)
			}
			lc.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		l, err := source.NewListener(lc, log)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, l)
	}
	switch {
	case o.Stdin:
		srcs = append(srcs, source.NewStdin(source.StdinConfig{Input: env.Stdin}, log))
	case in.KmsgRead:
		srcs = append(srcs, source.NewKmsg(source.KmsgConfig{}, log))
	case in.FWMsgReadCmd:
		srcs = append(srcs, source.NewJournal(source.JournalConfig{Command: in.FWMsgReadCommand, Args: in.FWMsgReadArgs}, log))
	default:
		path, why := inputsel.File(*in, o.MessagesFile)
		if path == "" {
			log.Warn(why)
			srcs = append(srcs, source.NewKmsg(source.KmsgConfig{}, log))
			break
		}
		log.Info("firewall messages file", "path", path, "why", why)
		srcs = append(srcs, source.NewFile(source.FileConfig{Path: path, KernelTags: in.KernelTags, Header: set.Detect.CustomHeader}, log))
	}
	return srcs, nil
}

// stateStore is the bbolt store as the daemon's Store.
type stateStore struct {
	*psaddir.Store
	log *slog.Logger
	// syslog says how many scans were imported, as psad does.
	syslog func(line string)
}

func (s stateStore) Load(t *scan.Tracker, importScans bool) (map[string][]byte, error) {
	pos, n, bad, err := s.Store.Load(t, importScans)
	if importScans {
		s.log.Info("imported old scans", "sources", n, "unreadable", bad)
		s.syslog(fmt.Sprintf("imported %d scanning IP addresses from previous psad instance", n))
	}
	return pos, err
}

// mailer builds the alert mail sender: SMTP when SMTP_SERVER is set, else
// the mail program (mailCmd) run with an argument list; nil when neither
// is available.
func mailer(a *config.Alert) (mail.Sender, []string, string, error) {
	to, err := mail.ParseAddresses(strings.Join(a.EmailAddresses, ","))
	if err != nil {
		return nil, nil, "", fmt.Errorf("EMAIL_ADDRESSES: %w", err)
	}
	from := a.MailFrom
	if from == "" {
		h, _ := os.Hostname()
		from = "psad@" + h
	}
	if s := a.SMTP; s.Server != "" {
		return mail.NewSMTP(mail.SMTPConfig{Host: s.Server, Port: s.Port, StartTLS: s.StartTLS,
			Username: s.User, Password: s.Password, Timeout: 30 * time.Second}), to, from, nil
	}
	if a.MailCmd != "" {
		return mail.NewExec(mail.ExecConfig{Path: a.MailCmd, Mode: "mail", Timeout: 30 * time.Second, Args: a.MailArgs}), to, from, nil
	}
	return nil, to, from, nil
}

// lookups builds the reverse DNS and whois cache.
func lookups(a *config.Alert, dnsOn, whoisOn bool, log *slog.Logger) *lookup.Cache {
	return lookup.NewCache(lookup.CacheConfig{
		Whois:      lookup.WhoisConfig{Server: a.WhoisServer, Timeout: a.WhoisTimeout},
		DNS:        lookup.ResolverConfig{Server: a.DNSServer},
		WhoisReuse: a.WhoisLookupThreshold, DNSReuse: a.DNSLookupThreshold,
		NoWhois: !whoisOn, NoDNS: !dnsOn, ForceASCII: a.WhoisForceASCII, Logger: log,
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
