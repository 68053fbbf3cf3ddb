package report

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/detecttest"
	"github.com/psadgo/psad/internal/loggen"
)

// BenchmarkWriteMixed is -A's report of a 300,000-line busy-firewall
// log (the project's generator) with the built-in configuration and
// engines, its state built once: the report was a fifth of -A's time on
// the 1M-line log.
func BenchmarkWriteMixed(b *testing.B) {
	var log bytes.Buffer
	if err := loggen.Mixed(&log, 300000, 1); err != nil {
		b.Fatal(err)
	}
	s, d := detecttest.Builtin(b)
	d.Scan.NoBatchDetail = true
	tr := d.NewTracker()
	pl := d.NewPipeline(tr)
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	pl.Clock = func() time.Time { return now }
	for line := range bytes.SplitSeq(log.Bytes(), []byte("\n")) {
		pl.Process(line)
	}
	tr.EndBatch()
	o := Options{Version: "x", MinDL: s.Alert.MinDangerLevel, SigsMax: s.Status.SigsThreshold, IPMax: s.Status.IPThreshold,
		PortsMax: s.Status.PortsThreshold, Protocols: d.Protocols, Sigs: d.Engines.TopSigInfo, DetailSigs: d.Engines.DetailSigInfo, ICMPType: d.Engines.ICMPTypeName}
	// As in -A, the collector is off while the report is written (and
	// runs between rounds, off the clock).
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		var w countWriter
		if _, err := Write(&w, tr, o); err != nil {
			b.Fatal(err)
		}
		n = w.n
	}
	b.ReportMetric(float64(n)/1e6, "MB/report")
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
