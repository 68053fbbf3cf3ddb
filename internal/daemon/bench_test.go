package daemon

import (
	"bufio"
	"bytes"
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/detecttest"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/loggen"
	"github.com/psadgo/psad/internal/scan"
)

// BenchmarkDaemonLines measures the daemon's read rate: lines handed over
// by an input, through the loop's pipeline and the scan state, with the
// real state store saving every second, and the alert cycle left out (a
// Notifier that does nothing), which is what -A's rate is compared with.
// One op is one line.
func BenchmarkDaemonLines(b *testing.B) {
	b.Run("flood", func(b *testing.B) {
		// Every line from its own source: the spoofed-source flood.
		benchLines(b, func(buf []byte, i int) []byte { return floodLine(buf, i) }, nil)
	})
	b.Run("flood-engines", func(b *testing.B) {
		// The same with what a psad.conf turns on: signatures, ICMP
		// types and passive OS fingerprinting (our built-in data), which
		// -A runs on its parse goroutines and the daemon on its loop.
		benchLines(b, func(buf []byte, i int) []byte { return floodLine(buf, i) }, engines(b))
	})
	b.Run("mixed", func(b *testing.B) {
		var log bytes.Buffer
		if err := loggen.Mixed(&log, 200000, 1); err != nil {
			b.Fatal(err)
		}
		var lines [][]byte
		sc := bufio.NewScanner(&log)
		for sc.Scan() {
			lines = append(lines, bytes.Clone(sc.Bytes()))
		}
		benchLines(b, func(buf []byte, i int) []byte { return append(buf, lines[i%len(lines)]...) }, nil)
	})
}

// floodLine is a kernel-tagged one-SYN line from source i of 10.0.0.0/8.
func floodLine(b []byte, i int) []byte {
	j := i + 1
	b = append(b, "Mar 11 20:35:11 fw kernel: DROP IN=eth0 OUT= MAC=52:54:00:6c:79:32:52:54:00:46:e9:74:08:00 SRC=10."...)
	b = strconv.AppendInt(b, int64(j>>16&255), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(j>>8&255), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(j&255), 10)
	b = append(b, " DST=192.168.10.1 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT="...)
	b = strconv.AppendInt(b, int64(1+i%1024), 10)
	return append(b, " WINDOW=1024 RES=0x00 SYN URGP=0 "...)
}

// lineSource hands over n generated lines, as fast as the loop takes
// them.
type lineSource struct {
	n    int
	line func(buf []byte, i int) []byte
}

func (s *lineSource) Name() string            { return "bench" }
func (s *lineSource) Ready() <-chan struct{}  { return nil }
func (s *lineSource) Resume(pos []byte) error { return nil }
func (s *lineSource) Run(ctx context.Context, sink func(line, pos []byte) bool) error {
	var buf, pos []byte
	for i := range s.n {
		buf = s.line(buf[:0], i)
		pos = strconv.AppendInt(pos[:0], int64(i), 10)
		if !sink(buf, pos) {
			return ctx.Err()
		}
	}
	<-ctx.Done()
	return ctx.Err()
}

// quiet is a Notifier that does nothing: the alert cycle is not what is
// measured.
type quiet struct{}

func (quiet) Packet(time.Time, *fwlog.Packet) {}
func (quiet) Batch(*scan.Closed)              {}
func (quiet) Forget([]scan.Gone)              {}
func (quiet) Close(context.Context)           {}
func (quiet) Syslog(string)                   {}

// engines builds the detector of the built-in psad.conf, engines and
// all.
func engines(b testing.TB) *detect.Detector {
	_, d := detecttest.Builtin(b)
	return d
}

// benchLines runs b.N lines through a daemon; det nil is the bare
// detector of newRuntime.
func benchLines(b *testing.B, line func(buf []byte, i int) []byte, det *detect.Detector) {
	st := openStore(b)
	rt := newRuntime(nil, 5*time.Second)
	if det != nil {
		rt.Detector = det
	}
	rt.Notifier = quiet{}
	rt.ScanTimeout = time.Hour
	set := scan.DefaultSettings()
	done := make(chan struct{})
	seen := 0
	d := New(Config{Sources: []Source{&lineSource{n: b.N, line: line}}, Runtime: rt, Tracker: scan.NewTracker(set), Store: st,
		Processed: func() {
			if seen++; seen == b.N {
				close(done)
			}
		}})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	b.ResetTimer()
	go func() { errc <- d.Run(ctx) }()
	<-done
	b.StopTimer()
	runtime.ReadMemStats(&m1)
	cancel()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	if got := d.Stats().Lines; got != int64(b.N) {
		b.Fatalf("daemon read %d lines, want %d", got, b.N)
	}
	if a := d.Stats().ByOutcome; b.N >= 1000 && a[len(a)-1] == 0 {
		b.Fatalf("no line reached the scan state: %v", a)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(b.N), "allocs/line")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(b.N), "B/line")
}
