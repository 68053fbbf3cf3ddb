// Package bench is psad's benchmark mode (-B): run the whole detection
// engine (parser, tracker, signatures, ICMP checks, passive OS
// fingerprints, auto_dl) over synthetic or given log lines as one batch and
// report the time. We also print the throughput in lines per second, the
// figure users compare, so it has to be the throughput of a real -A run.
package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/hugepage"
	"github.com/psadgo/psad/internal/logsrc"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/scan"
)

// Setup is a benchmark run.
type Setup struct {
	Settings   *config.Settings
	Input      string // -m; "" for synthetic packets
	Packets    int
	PacketsSet bool
	// Detect holds the command-line switches for the pipeline (-i,
	// --restrict-ip, --no-snort-sids, --max-sources, --no-* engines). The
	// engines stay on, as in -A, unless those switches turn them off.
	Detect detect.Options
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
}

// Synthetic appends psad's benchmark lines: n+1 SYNs from one host with
// the destination port counting up from 1000 (capped at 50000).
func Synthetic(dst []byte, n int) []byte {
	for i := 0; i <= n; i++ {
		dp := 1000 + i
		if dp > 50000 {
			dp = 50000
		}
		dst = append(dst, "Feb 15 16:42:58 fw kernel: DROP IN=eth0 OUT= MAC=00:a0:cc:28:42:5a:00:03:6c:00:98:54:08:00 SRC=192.168.10.2 DST=192.168.10.1 LEN=48 TOS=0x00 PREC=0x00 TTL=110 ID=13383 DF PROTO=TCP SPT=1389 DPT="...)
		dst = strconv.AppendInt(dst, int64(dp), 10)
		dst = append(dst, " WINDOW=16384 RES=0x00 SYN URGP=0 \n"...)
	}
	return dst
}

// Run performs the benchmark and returns the exit status.
func Run(s Setup) int {
	now := s.Now
	if now == nil {
		now = time.Now
	}
	say := func(format string, a ...any) {
		fmt.Fprintf(s.Stdout, "%s [+] %s\n", now().Format("Mon Jan _2 15:04:05 2006"), fmt.Sprintf(format, a...))
	}
	say("Entering benchmark mode.")
	var data []byte
	switch {
	case s.Input == "":
		n := s.Packets
		if !s.PacketsSet || n <= 0 {
			say("The --packets command line option was not specified.")
			say("Defaulting to a 10,000 packet test.")
			n = 10000
		} else {
			say("Executing a %d packet test.", n)
		}
		say("Creating packet array.")
		data = Synthetic(nil, n)
	default:
		f, err := os.Open(s.Input)
		if err != nil {
			fmt.Fprintf(s.Stderr, "[*] Could not open %s: %v\n", s.Input, err)
			return 1
		}
		defer f.Close()
		if s.PacketsSet && s.Packets > 0 {
			say("Executing a %d packet test.", s.Packets)
			say("Creating %d packet array from %s", s.Packets, s.Input)
		} else {
			say("The --packets command line option was not specified.")
			say("Defaulting to read the entire %s file.", s.Input)
			say("Creating packet array from complete %s", s.Input)
		}
		var buf bytes.Buffer
		n := 0
		err = logsrc.Each(f, func(line []byte) bool {
			buf.Write(line)
			buf.WriteByte('\n')
			n++
			return !(s.PacketsSet && s.Packets > 0 && n >= s.Packets)
		})
		if err != nil {
			fmt.Fprintf(s.Stderr, "[*] reading %s: %v\n", s.Input, err)
			return 1
		}
		data = buf.Bytes()
	}

	do := s.Detect
	do.Warn = nil
	d, err := detect.Build(s.Settings, do)
	if err != nil {
		fmt.Fprintf(s.Stderr, "[*] %v\n", err)
		return 1
	}
	// The same engine set-up as -A: no alert detail, parsing on a second
	// core, fewer garbage collections, huge pages for the heap, state
	// memory faulted in ahead.
	d.Scan.NoBatchDetail = true
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	hugepage.Heap(2 * len(data))
	t := d.NewTracker()
	t.Reserve(bytes.Count(data, []byte{'\n'}))
	defer t.Prefault(true)()
	pl := d.NewPipeline(t)
	engines := d.Engines
	say("check_scan()")
	start := time.Now()
	lines := 0
	chunks, rerr := pipeline.ParseAhead(bytes.NewReader(data), d.Parser, nil, engines.Preparer, nil)
	for c := range chunks {
		for i := range c.Items {
			lines++
			engines.Use(&c.Items[i].Pre)
			pl.ProcessParsed(c.Items[i].Line, &c.Items[i].Pkt, c.Items[i].Err)
		}
		c.Release()
	}
	if err := rerr(); err != nil {
		fmt.Fprintf(s.Stderr, "[*] %v\n", err)
		return 1
	}
	engines.Use(nil)
	engines.Finish(t.EndBatch())
	el := time.Since(start)
	// The engine line and the match count show what was timed: a -B
	// that skipped signatures would flatter the figure below.
	var sigs int64
	t.EachSource(func(src *scan.Source) { sigs += src.SigCount })
	if desc := engines.Describe(); desc != "" {
		say("Engines: %s; %d signature matches.", desc, sigs)
	}
	say("%s", resultLine(t))
	say("Err packets: %d.", pl.Stats.ByOutcome[pipeline.Malformed])
	say("Packet creation and processing time: %d sec.", int(el.Seconds()))
	rate := float64(lines) / el.Seconds()
	say("Processed %d lines in %.3f s: %.0f lines/s.", lines, el.Seconds(), rate)
	say("Exiting benchmark mode.")
	return 0
}

// resultLine sums up the state the timed run built, one figure per
// engine: the danger levels (thresholds and signatures), the invalid
// ICMP types, the passive OS guesses and the auto_dl assignments. It
// shows what was timed, and equals what -A finds in the same log.
func resultLine(t *scan.Tracker) string {
	var byDL [6]int
	srcs, icmp, osGuess, autoDL := 0, 0, 0, 0
	t.EachSource(func(src *scan.Source) {
		srcs++
		if src.DL >= 0 && src.DL < len(byDL) {
			byDL[src.DL]++
		}
		if len(src.OSGuesses()) > 0 || src.PosfGuess() != "" {
			osGuess++
		}
		if src.AutoDL {
			autoDL++
		}
		for _, pr := range src.DstList() {
			for _, ic := range pr.ICMP() {
				icmp += ic.Pkts
			}
		}
	})
	return fmt.Sprintf("Result: %d sources, by danger level 1-5: %d %d %d %d %d; %d invalid ICMP packets; %d sources with an OS guess; %d levels set by auto_dl.",
		srcs, byDL[1], byDL[2], byDL[3], byDL[4], byDL[5], icmp, osGuess, autoDL)
}
