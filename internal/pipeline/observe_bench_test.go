package pipeline

import (
	"bytes"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/loggen"
	"github.com/psadgo/psad/internal/scan"
)

// BenchmarkTrackerMixed is the tracker alone, as -A's tracker goroutine
// runs it: a fresh tracker takes in the parsed packets of a 500,000-line
// busy-firewall log, so the figure includes the cost of a state that
// outgrows the caches, which a loop over a few packets hides. Like -A,
// it reads ahead with Warm.
func BenchmarkTrackerMixed(b *testing.B) {
	var buf bytes.Buffer
	if err := loggen.Mixed(&buf, 500000, 1); err != nil {
		b.Fatal(err)
	}
	p := fwlog.NewParser(fwlog.Options{StripKernelTS: true})
	var pkts []fwlog.Packet
	var times []time.Time
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for i, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
		line = bytes.Clone(line)
		var pkt fwlog.Packet
		if p.Parse(line, &pkt) != nil {
			continue
		}
		pkts = append(pkts, pkt)
		times = append(times, t0.Add(time.Duration(i)*time.Millisecond))
	}
	ptrs := make([]*fwlog.Packet, len(pkts))
	for i := range pkts {
		ptrs[i] = &pkts[i]
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		set := scan.DefaultSettings()
		set.NoBatchDetail = true
		tr := scan.NewTracker(set)
		tr.Reserve(len(pkts))
		stop := tr.Prefault(true)
		for i := range pkts {
			if i%scan.WarmGroup == 0 {
				tr.Warm(ptrs[i:min(i+scan.WarmGroup, len(pkts))])
			}
			tr.Observe(times[i], &pkts[i])
		}
		stop()
	}
	b.ReportMetric(float64(b.N*len(pkts))/b.Elapsed().Seconds(), "pkts/s")
}
