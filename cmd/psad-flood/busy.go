package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/loggen"
)

// busyLog is the -busy mode: a busy firewall rather than a flood. The
// project's mixed log (psad-loggen -mixed) is appended rate lines a
// second for secs seconds, each second's lines in one write, as a
// syslog daemon would; with pairs > 0 the first pairs lines of it are
// sent again and again, so that the same sources and destinations come
// back every second, as persistent scanners do. It reports the CPU the
// daemon spent from the first line until one CHECK_INTERVAL after every
// line was read (the last batch's alerts and files included), as a
// share of one core.
func (f *flooder) busyLog(rate, secs, pairs int) error {
	total := rate * secs
	gen := total
	if pairs > 0 {
		gen = min(pairs, total)
	}
	var all bytes.Buffer
	w := bufio.NewWriter(&all)
	if err := loggen.Mixed(w, gen, 1); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	lines := bytes.SplitAfter(all.Bytes(), []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	// Each second's lines, made before the clock starts.
	seconds := make([][]byte, secs)
	for s := range seconds {
		var b bytes.Buffer
		for i := s * rate; i < (s+1)*rate; i++ {
			b.Write(lines[i%len(lines)])
		}
		seconds[s] = b.Bytes()
	}
	log, err := os.OpenFile(f.logFile, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer log.Close()
	u0, s0, _, err := procStat(f.pid)
	if err != nil {
		return err
	}
	start := time.Now()
	for s, b := range seconds {
		if _, err := log.Write(b); err != nil {
			f.stop()
			return err
		}
		// Pacing, not synchronisation: the next second's lines go out
		// when that second begins.
		time.Sleep(time.Until(start.Add(time.Duration(s+1) * time.Second)))
	}
	if err := f.poll(readAll, func() (bool, error) {
		m, err := scrape(f.addr)
		return err == nil && m["psad_log_lines_total"] >= float64(total), err
	}); err != nil {
		return err
	}
	read := time.Since(start)
	time.Sleep(f.checkInterval) // the last batch's alerts and files
	u1, s1, _, err := procStat(f.pid)
	if err != nil {
		return err
	}
	wall := time.Since(start)
	cpu := ticks(u1 + s1 - u0 - s0)
	what := "new lines throughout"
	if pairs > 0 {
		what = fmt.Sprintf("the first %d lines again and again", gen)
	}
	fmt.Fprintf(f.out, "busy log: %d lines a second for %d s (%s), all read after %v\n", rate, secs, what, read.Round(time.Millisecond))
	fmt.Fprintf(f.out, "daemon CPU: %v in %v, %.1f%% of one core (user %v, system %v)\n",
		cpu, wall.Round(time.Millisecond), 100*cpu.Seconds()/wall.Seconds(), ticks(u1-u0), ticks(s1-s0))
	return nil
}

// notDelivered picks the daemon's account of alert output it dropped or
// failed to deliver from its log, "" when it has none.
func notDelivered(log string) string {
	for l := range strings.Lines(log) {
		if strings.Contains(l, "alert output not delivered") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
