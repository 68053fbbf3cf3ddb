// Package analysis is psad's forensics mode (-A): read a firewall log
// once, run every line through the detection pipeline as one batch, assign
// danger levels and print psad's analysis report.
package analysis

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/alert"
	"github.com/psadgo/psad/internal/alert/mail"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/hugepage"
	"github.com/psadgo/psad/internal/inspect"
	"github.com/psadgo/psad/internal/logsrc"
	"github.com/psadgo/psad/internal/notify"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/protocols"
	"github.com/psadgo/psad/internal/report"
	"github.com/psadgo/psad/internal/scan"
)

// Setup is everything an analysis run needs.
type Setup struct {
	Settings *config.Settings
	// Input names the log file; Stdin, when non-nil, is read instead
	// (--stdin) and the progress line says STDIN.
	Input string
	Stdin io.Reader
	// Packets stops after this many firewall lines (--packets, 0 = all).
	Packets int
	// Fields is the --analysis-fields filter, nil for none.
	Fields pipeline.Matcher
	// Detect holds the command-line switches for the detection engine
	// (-i, --restrict-ip, --no-* engines, -a, --no-auto-dl); its Warn is
	// set by Run.
	Detect      detect.Options
	SummaryOnly bool // --status-summary
	NoIPTErrors bool // --no-ipt-errors
	// WriteData is --analysis-write-data: run the alert cycle over every
	// source, writing psad's per-source files under ANALYSIS_MODE_DIR.
	WriteData bool
	// Mailer, MailTo and MailFrom send the alerts of --analysis-write-data
	// when -e/--email-analysis is given (nil: no mail).
	Mailer   mail.Sender
	MailTo   []string
	MailFrom string
	// Lookups is reverse DNS (--dns-analysis) and whois (-w) for the alerts.
	Lookups        notify.Lookups
	DNSOn, WhoisOn bool
	Debug          bool // --debug / --test-mode
	// AutoBlock, when set, is --analysis-auto-block: it gets every source
	// once the analysis is done.
	AutoBlock func(now time.Time, srcs []*scan.Source) error
	// NoPortLookup is --no-netstat: the alerts do not say whether a
	// server is bound to the ports of their signature matches.
	NoPortLookup bool
	Version      string
	Stdout       io.Writer
	Stderr       io.Writer
	// Progress, when non-nil, receives a live progress bar (a terminal).
	Progress io.Writer
	// Observe, when set, sees every packet the tracker took (--plot); the
	// packet is only valid during the call.
	Observe func(*fwlog.Packet)
	// Finished, when set, gets the tracker once danger levels are set.
	Finished func(*scan.Tracker)
	// Now is the clock for lines without a usable timestamp.
	Now func() time.Time
	// Render, when set, replaces the text report (and its copy in
	// ANALYSIS_OUTPUT_FILE): --json and --explain write their own output
	// from the finished state.
	Render func(d *detect.Detector, t *scan.Tracker) error
	// Watch, when set, counts one source's packets by outcome (--explain).
	Watch *pipeline.Watch
	// Shards is how many trackers share the packets (0: chosen by the cores);
	// the output does not depend on it.
	Shards int
}

// Run performs the analysis and returns the process exit status.
func Run(s Setup) int {
	if s.Now == nil {
		s.Now = time.Now
	}
	c := s.Settings
	out, errw := s.Stdout, s.Stderr

	do := s.Detect
	do.Warn = func(w string) { fmt.Fprintf(errw, "[-] %s\n", w) }
	d, err := detect.Build(c, do)
	if err != nil {
		fmt.Fprintf(errw, "[*] %v\n", err)
		return 1
	}
	// Without --analysis-write-data -A writes no alerts, so the per-batch
	// detail they need is skipped.
	d.Scan.NoBatchDetail = !s.WriteData
	tracker := d.NewTracker()
	engines, protos := d.Engines, d.Protocols
	// The memory bound is MAX_SCAN_SOURCES; see collectRarely.
	memLimit := machineLimit()
	defer collectRarely(memLimit)()
	if s.Debug {
		tracker.Debug = errw
		fmt.Fprintf(errw, "[+] engines: %s\n", engines.Describe())
	}

	pl := d.NewPipeline(tracker)
	pl.Fields = s.Fields
	pl.Clock = s.Now
	pl.Watch = s.Watch

	dirs := prepareDirs(&c.Files, out, errw)
	errLog := newErrorLog(dirs.errLog, s.NoIPTErrors)
	defer errLog.close()

	// psad counts the firewall lines before it processes them. Without a
	// progress bar or debug lines nothing shows before the end of the run,
	// so the main pass counts for itself and the input is read once, and
	// standard input is streamed. Otherwise a file is read twice and
	// standard input is held in memory.
	selfCount := s.Progress == nil && !s.Debug
	if s.Stdin != nil {
		logsrc.GrowPipe(s.Stdin)
	}
	var open func() (io.Reader, func(), error)
	name := s.Input
	switch {
	case s.Stdin != nil && selfCount:
		name = "STDIN"
		in := s.Stdin
		if _, ok := regularSize(in); !ok {
			// A pipe says nothing of its size: once it has given
			// bigInput bytes the run is taken to be a big one.
			in = &onceRead{r: in, at: bigInput, then: func() { hugepage.Heap(hugeHeap(memLimit, memLimit)) }}
		}
		open = func() (io.Reader, func(), error) { return in, func() {}, nil }
	case s.Stdin != nil:
		data, err := io.ReadAll(s.Stdin)
		if err != nil {
			fmt.Fprintf(errw, "[*] reading standard input: %v\n", err)
			return 1
		}
		name = "STDIN"
		hugepage.Heap(hugeHeap(int64(len(data)), memLimit))
		open = func() (io.Reader, func(), error) { return bytes.NewReader(data), func() {}, nil }
	default:
		open = func() (io.Reader, func(), error) {
			f, err := os.Open(s.Input)
			if err != nil {
				return nil, nil, err
			}
			return f, func() { f.Close() }, nil
		}
	}
	fmt.Fprintf(out, "[+] Entering analysis mode.  Parsing %s\n", name)
	var lineNo int
	pl.OnMalformed = func(line []byte, err error) { errLog.add(name, lineNo, line, err) }

	accepted := func(line []byte) bool { return fwlog.HasInOut(line) && pl.SearchMatch(line) }
	// psad prints how many firewall lines there are before it processes
	// them. Counting is a quick scan of its own, run beside the processing
	// (which holds back its progress lines until the count is known); in
	// debug mode, whose per-line output must follow the count, it runs
	// first.
	type counted struct {
		total, fw int
		err       error
	}
	countc := make(chan counted, 1)
	count := func() {
		r, done, err := open()
		if err != nil {
			countc <- counted{err: err}
			return
		}
		defer done()
		var n counted
		n.err = logsrc.Each(r, func(line []byte) bool {
			n.total++
			if accepted(line) {
				n.fw++
			}
			return s.Packets <= 0 || n.fw < s.Packets
		})
		countc <- n
	}
	switch {
	case s.Debug:
		count()
	case !selfCount:
		go count()
	}

	r, done, err := open()
	if err != nil {
		fmt.Fprintf(errw, "[*] Could not open %s: %v\n", s.Input, errors.Unwrap(err))
		return 1
	}
	defer done()
	reserve := 0
	if size, ok := regularSize(r); ok {
		reserve = int(size / 250) // about one pair per log line
		hugepage.Heap(hugeHeap(size, memLimit))
	}
	var sh *shards
	if n := shardCount(&s, d); n > 1 {
		newPipeline := func(t *scan.Tracker) *pipeline.Pipeline {
			p := d.NewPipeline(t)
			p.Fields, p.Clock = s.Fields, s.Now
			return p
		}
		sh = startShards(n, tracker, d, engines, reserve, newPipeline, func(n int, line []byte, err error) {
			errLog.add(name, n, line, err)
		})
		defer sh.finish() // on the early returns; a no-op after the loop's
	} else {
		tracker.Reserve(reserve)
		defer tracker.Prefault(true)()
	}
	handed, limit, step := 0, s.Packets, 0
	var bar *bar
	known := false
	began := time.Now()
	// learnCount prints the count and the progress lines held back so far.
	learnCount := func(n counted) bool {
		if n.err != nil {
			fmt.Fprintf(errw, "[*] reading %s: %v\n", name, n.err)
			return false
		}
		known = true
		fmt.Fprintf(out, "[+] Found %d iptables log messages out of %d total lines.\n", n.fw, n.total)
		if n.fw > 15001 {
			fmt.Fprintln(out, "    This may take a while...")
		}
		step = progressStep(n.fw)
		bar = newBar(s.Progress, n.fw, began)
		for k := step; k <= handed; k += step {
			fmt.Fprintf(out, "[+] Processed %d packets...\n", k)
		}
		return true
	}
	if s.Debug && !learnCount(<-countc) {
		return 1
	}
	var dbg []byte
	stop := make(chan struct{})
	chunks, readErr := pipeline.ParseAhead(r, d.Parser, accepted, engines.Preparer, stop)
	finished := false
	for ch := range chunks {
		if !known && !selfCount {
			select {
			case n := <-countc:
				if !learnCount(n) {
					close(stop)
					for range chunks {
					}
					return 1
				}
			default:
			}
		}
		base, taken := lineNo, len(ch.Items)
		for i := range ch.Items {
			it := &ch.Items[i]
			if sh == nil && i%scan.WarmGroup == 0 {
				warmAhead(tracker, ch.Items[i:min(i+scan.WarmGroup, len(ch.Items))], nil)
			}
			lineNo++
			if !it.Selected {
				continue
			}
			handed++
			if sh == nil {
				engines.Use(&it.Pre)
				if pl.ProcessParsed(it.Line, &it.Pkt, it.Err) == pipeline.Accepted && s.Observe != nil {
					s.Observe(&it.Pkt)
				}
			}
			if s.Debug {
				dbg = debugStamp(dbg[:0], &it.Pkt, s.Now)
				out.Write(dbg)
			}
			if known {
				if handed%step == 0 {
					fmt.Fprintf(out, "[+] Processed %d packets...\n", handed)
				}
				bar.update(handed)
			}
			if finished = limit > 0 && handed >= limit; finished {
				taken = i + 1
				break
			}
		}
		if sh != nil {
			sh.dispatch(ch, base, taken)
		} else {
			ch.Release()
		}
		if finished {
			close(stop)
			for range chunks {
			}
			break
		}
	}
	if sh != nil {
		sh.finish()
	}
	if selfCount {
		if err := readErr(); err != nil {
			fmt.Fprintf(errw, "[*] reading %s: %v\n", name, err)
			return 1
		}
		learnCount(counted{total: lineNo, fw: handed})
	} else if !known && !learnCount(<-countc) {
		return 1
	}
	err = readErr()
	bar.finish()
	if err != nil {
		fmt.Fprintf(errw, "[*] reading %s: %v\n", name, err)
		return 1
	}

	fmt.Fprintln(out, "[+] Assigning scan danger levels...")
	// The report copy is opened, and the last run's copy cut, while the
	// levels are assigned: truncating the 74 MB copy of the 1M-line log's
	// report took 13-37 ms, spent waiting on the file system (little of
	// it CPU time) while the run waited too.
	var copyOpened chan copyOpen
	if dirs.output != "" && s.Render == nil {
		copyOpened = make(chan copyOpen, 1)
		go func() {
			f, err := os.OpenFile(dirs.output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			copyOpened <- copyOpen{f, err}
		}()
	}
	tracker.Debug = out // psad prints the port sweep lines on stdout
	if !s.Debug {
		tracker.Debug = nil
	}
	engines.Use(nil)
	batch := tracker.EndBatch()
	engines.Finish(batch)
	if s.Finished != nil {
		s.Finished(tracker)
	}
	lv := tracker.BatchLevels()
	sum := 0
	for n := 1; n <= 5; n++ {
		fmt.Fprintf(out, "    Level %d: %d IP addresses\n", n, lv[n])
		sum += lv[n]
	}
	fmt.Fprintf(out, "\n    Tracking %d total IP addresses\n", sum)

	if s.Render != nil {
		if err := s.Render(d, tracker); err != nil {
			fmt.Fprintf(errw, "[*] %v\n", err)
			return 1
		}
		errLog.summary(errw)
		return 0
	}
	// The report goes to stdout and, as psad does, to ANALYSIS_OUTPUT_FILE.
	var copyFile *os.File
	if copyOpened != nil {
		c := <-copyOpened
		if copyFile, err = c.f, c.err; err != nil {
			fmt.Fprintf(errw, "[-] Could not write the report copy: %v\n", err)
			copyFile = nil
		}
	}
	var repw io.Writer = out
	if copyFile != nil {
		repw = io.MultiWriter(out, copyFile)
	}
	_, err = report.Write(repw, tracker, report.Options{
		Version:     s.Version,
		MinDL:       c.Alert.MinDangerLevel,
		SigsMax:     c.Status.SigsThreshold,
		IPMax:       c.Status.IPThreshold,
		PortsMax:    c.Status.PortsThreshold,
		SummaryOnly: s.SummaryOnly,
		Protocols:   protos,
		Sigs:        engines.TopSigInfo,
		DetailSigs:  engines.DetailSigInfo,
		ICMPType:    engines.ICMPTypeName,
	})
	if err != nil {
		fmt.Fprintf(errw, "[*] %v\n", err)
		return 1
	}
	if copyFile != nil {
		if err := copyFile.Close(); err != nil {
			fmt.Fprintf(errw, "[-] Could not write the report copy: %v\n", err)
		} else {
			fmt.Fprintf(out, "[+] These results are available in: %s\n", dirs.output)
		}
	}
	if s.WriteData && dirs.amDir != "" {
		writeData(s, dirs, tracker, batch, engines, protos, out, errw)
	}
	if s.AutoBlock != nil {
		// psad's -A --analysis-auto-block: the auto-response runs once
		// over every source of the analysis.
		if err := s.AutoBlock(s.Now(), batch); err != nil {
			fmt.Fprintf(errw, "[*] auto-block: %v\n", err)
			return 1
		}
	}
	errLog.summary(errw)
	if tracker.Evicted > 0 {
		fmt.Fprintf(errw, "[-] %d scan sources were forgotten to stay within MAX_SCAN_SOURCES=%d; raise it (or --max-sources) to keep them all.\n",
			tracker.Evicted, d.Scan.MaxSources)
	}
	fmt.Fprintln(out, "\n[+] Finished --Analyze cycle.")
	return 0
}

// copyOpen is the outcome of opening ANALYSIS_OUTPUT_FILE.
type copyOpen struct {
	f   *os.File
	err error
}

// warmAhead has t read what it will look up for the packets of group
// (at most scan.WarmGroup lines) that reach it, mine, when set, picking
// a shard's: see scan.Tracker.Warm.
func warmAhead(t *scan.Tracker, group []pipeline.Parsed[inspect.Pre], mine func(*pipeline.Parsed[inspect.Pre]) bool) {
	var g [scan.WarmGroup]*fwlog.Packet
	n := 0
	for j := range group[:min(len(group), len(g))] {
		// Route is 0 for a line that did not parse or will be dropped.
		if it := &group[j]; it.Route != 0 && (mine == nil || mine(it)) {
			g[n] = &it.Pkt
			n++
		}
	}
	t.Warm(g[:n])
}

// regularSize returns the size of r when it is a regular file: -m's, or
// standard input redirected from one.
func regularSize(r io.Reader) (int64, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return 0, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Size(), true
}

// bigInput is how much of a pipe -A reads before it sets the heap up
// for a big run (hugepage.Heap): setting aside a quarter of the memory
// costs a small run 30 ms and 20 MB, and saved the 1M-line log piped
// through cat 12% of its time.
const bigInput = 32 << 20

// onceRead calls then once, on the Read that takes the bytes read past
// at.
type onceRead struct {
	r    io.Reader
	n    int64
	at   int64
	then func()
}

func (o *onceRead) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.n += int64(n)
	if o.then != nil && o.n >= o.at {
		o.then()
		o.then = nil
	}
	return n, err
}

// progressStep is how often psad prints "Processed N packets": about ten
// times per run, at a round step that depends on the number of lines.
func progressStep(n int) int {
	c := n - 1
	if c < 100 {
		return max(c+1, 1)
	}
	v := c / 10
	switch {
	case v < 100:
		v -= v % 10
	case v < 1000:
		v -= v % 100
	case v < 10000:
		v -= v % 1000
	case v < 100000:
		v -= v % 10000
	case v < 1000000:
		v -= v % 100000
	default:
		v = 50000
	}
	return v + 1
}

// debugStamp renders psad's debug lines for a line's syslog header.
func debugStamp(b []byte, p *fwlog.Packet, now func() time.Time) []byte {
	ts, host := string(p.Timestamp), string(p.Host)
	if ts == "" {
		ts = now().Format("Mon Jan _2 15:04:05 2006")
		host = "unknown"
	}
	b = append(b, "[+] timestamp: "...)
	b = append(b, ts...)
	b = append(b, "\n    syslog hostname: "...)
	b = append(b, host...)
	return append(b, '\n')
}

type dirs struct {
	amDir  string // ANALYSIS_MODE_DIR, "" when it could not be made
	errLog string // rewritten FW_ERROR_LOG
	output string // ANALYSIS_OUTPUT_FILE, "" when it cannot be written
}

// prepareDirs does psad's analysis start-up (13.1): make the psad
// directories, start a fresh ANALYSIS_MODE_DIR, and point FW_ERROR_LOG
// into it. What cannot be created is reported and skipped, so an
// ordinary user still gets the report.
func prepareDirs(f *config.Files, out, errw io.Writer) dirs {
	psadDir := filepath.Clean(f.PsadDir)
	amDir := filepath.Clean(f.AnalysisModeDir)
	var d dirs
	if err := os.MkdirAll(psadDir, 0o700); err != nil {
		fmt.Fprintf(errw, "[-] Cannot create %s (%v): the report is printed but not saved, and malformed lines are not logged.\n", psadDir, errors.Unwrap(err))
		return d
	}
	if fi, err := os.Lstat(amDir); err == nil && fi.IsDir() && safeToRemove(amDir) {
		fmt.Fprintf(out, "[+] Removing old %s directory.\n", amDir)
		if err := os.RemoveAll(amDir); err != nil {
			fmt.Fprintf(errw, "[-] Could not remove %s: %v\n", amDir, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(amDir, "errs"), 0o700); err != nil {
		fmt.Fprintf(errw, "[-] Cannot create %s: %v\n", amDir, err)
	} else {
		d.amDir = amDir
	}
	d.errLog = f.FWErrorLog
	if rel, ok := strings.CutPrefix(d.errLog, psadDir+"/"); ok {
		d.errLog = filepath.Join(amDir, rel)
	}
	d.output = f.AnalysisOutputFile
	return d
}

// safeToRemove refuses to delete the root or a top-level directory,
// whatever a configuration says.
func safeToRemove(dir string) bool {
	return strings.Count(dir, "/") >= 2 && dir != "/"
}

// errorLog appends malformed lines to fwerrorlog as psad does (the raw
// line) and keeps the first reasons for the summary on stderr.
type errorLog struct {
	path    string
	off     bool
	f       *os.File
	w       *bufio.Writer // over f: a busy log has thousands of bad lines
	openErr error
	// writeErr is the first error writing f, reported by summary.
	writeErr error
	n        int
	first    []string
}

func newErrorLog(path string, off bool) *errorLog { return &errorLog{path: path, off: off} }

func (e *errorLog) add(file string, line int, raw []byte, err error) {
	e.n++
	if len(e.first) < 5 {
		e.first = append(e.first, fmt.Sprintf("%s:%d: %v", file, line, err))
	}
	if e.off || e.path == "" || e.openErr != nil {
		return
	}
	if e.f == nil {
		if err := os.MkdirAll(filepath.Dir(e.path), 0o700); err != nil {
			e.openErr = err
			return
		}
		e.f, e.openErr = os.OpenFile(e.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if e.openErr != nil {
			return
		}
		e.w = bufio.NewWriterSize(e.f, 64<<10)
	}
	e.w.Write(raw)
	e.w.WriteByte('\n')
}

// flush writes out what add buffered; the first error is kept for
// summary.
func (e *errorLog) flush() {
	if e.w == nil {
		return
	}
	if err := e.w.Flush(); err != nil && e.writeErr == nil {
		e.writeErr = err
	}
}

func (e *errorLog) summary(w io.Writer) {
	if e.n == 0 {
		return
	}
	e.flush()
	where := "not saved (--no-ipt-errors)"
	switch {
	case e.off:
	case e.path == "":
		where = "not saved (no writable error log)"
	case e.openErr != nil:
		where = fmt.Sprintf("not saved (%v)", e.openErr)
	case e.writeErr != nil:
		where = fmt.Sprintf("not all saved (%v)", e.writeErr)
	default:
		where = "appended to " + e.path
	}
	fmt.Fprintf(w, "[-] %d malformed firewall log lines, %s:\n", e.n, where)
	for _, s := range e.first {
		fmt.Fprintf(w, "    %s\n", s)
	}
	if e.n > len(e.first) {
		fmt.Fprintf(w, "    ... and %d more\n", e.n-len(e.first))
	}
}

func (e *errorLog) close() {
	if e.f != nil {
		e.flush()
		e.f.Close()
	}
}

// debugSyslog prints what the daemon would send to syslog, as psad's
// debug mode does ("[+] syslog msg: ..."); without --debug nothing.
type debugSyslog struct{ w io.Writer }

func (d debugSyslog) Send(msg string) error {
	_, err := fmt.Fprintf(d.w, "[+] syslog msg: %s\n", msg)
	return err
}

// writeData is --analysis-write-data: psad's alert cycle over every
// source with its files under ANALYSIS_MODE_DIR (mail with -e), and in
// debug mode the syslog lines it would send.
func writeData(s Setup, d dirs, t *scan.Tracker, batch []*scan.Source, e *inspect.Engines, protos *protocols.Table, out, errw io.Writer) {
	c := &s.Settings.Alert
	fmt.Fprintf(out, "[+] Writing %s/<IP> directories.\n", d.amDir)
	if len(batch) > 1000 {
		fmt.Fprintln(out, "    This may take a while...")
	}
	nc := notify.Config{
		MinDL: c.MinDangerLevel, EmailDL: c.EmailAlertDangerLevel, AlertAll: true,
		SigSyslog: c.SigMsgSyslog, SigSyslogN: c.SigMsgSyslogThreshold,
		Hostname: c.Hostname, Version: s.Version, Dir: d.amDir,
		Template: alert.Info{ProtocolScanThreshold: s.Settings.Detect.ProtocolScanThreshold,
			SnortSIDStr: s.Settings.Detect.SnortSIDStr, MACReporting: c.MACReporting, Analysis: true},
		Engines: e, Protocols: protos,
		Clock:  s.Now,
		Mailer: s.Mailer, To: s.MailTo, From: s.MailFrom, AlertPrefix: c.MailAlertPrefix,
		Lookups: s.Lookups, DNSOn: s.DNSOn, WhoisOn: s.WhoisOn, WhoisForceSrc: c.WhoisForceSrcIP,
		Log: slog.New(slog.NewTextHandler(errw, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if !s.NoPortLookup {
		nc.Ports = func() (*notify.Ports, error) { return notify.ReadProcNet("/proc/net") }
	}
	if s.Mailer != nil {
		fmt.Fprintln(out, "[+] Generating email alerts...")
	}
	if s.WhoisOn {
		fmt.Fprintln(out, "[+] Issuing whois lookups (may take several seconds).")
		// -A waits for the answers psad waited for, at most WHOIS_TIMEOUT.
		if w, ok := s.Lookups.(interface {
			Wait(context.Context, netip.Addr) (string, string)
		}); ok {
			ctx, cancel := context.WithTimeout(context.Background(), max(c.WhoisTimeout, time.Second))
			for _, src := range batch {
				if src.DL >= max(c.MinDangerLevel, 1) {
					w.Wait(ctx, src.Addr)
				}
			}
			cancel()
		}
	}
	if s.Debug {
		nc.Syslog = debugSyslog{errw}
	}
	// A one-shot run has no detection to protect: it waits for the
	// worker rather than drop output.
	nc.Wait = true
	n := notify.New(nc, nil)
	n.Batch(&scan.Closed{Now: s.Now(), Tracker: t, Sources: batch})
	// A one-shot run waits for all of it (mail included).
	n.Close(context.Background())
}
