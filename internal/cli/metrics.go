package cli

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/daemon"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/metrics"
	"github.com/psadgo/psad/internal/notify"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/scan"
)

// outcomeNames are the result labels of psad_log_lines_total.
var outcomeNames = [...]string{
	pipeline.NotFirewall: "not_firewall", pipeline.Ignored: "ignored", pipeline.Malformed: "malformed",
	pipeline.Filtered: "filtered", pipeline.Dropped: "dropped", pipeline.Accepted: "parsed",
}

// snapshot gathers one scrape's counters: the tracker's through the
// daemon's query channel, the rest from the parts that keep them.
func snapshot(d *daemon.Daemon, inputs []daemon.Source, current *atomic.Pointer[notify.Notifier], policy *block.Policy) func(ctx context.Context) (*metrics.Snapshot, error) {
	return func(ctx context.Context) (*metrics.Snapshot, error) {
		s := &metrics.Snapshot{Packets: map[string]float64{}, InputLag: map[string]float64{}}
		err := d.Query(ctx, func(t *scan.Tracker, _ *daemon.Runtime) {
			for i, n := range t.Counters.Proto {
				if n > 0 {
					s.Packets[fwlog.IndexKey(i)] = float64(n)
				}
			}
			s.Sources = t.DLCounts()
		})
		if err != nil {
			return nil, err
		}
		now := time.Now()
		parser := fwlog.NewParser(fwlog.Options{StripKernelTS: true})
		var pkt fwlog.Packet
		for i, in := range d.Stats().Inputs {
			for o, n := range in.ByOutcome {
				s.Lines = append(s.Lines, metrics.Count{Labels: [2]string{in.Name, outcomeNames[o]}, Value: float64(n)})
			}
			if r, ok := inputs[i].(interface{ Rejected() uint64 }); ok {
				s.Lines = append(s.Lines, metrics.Count{Labels: [2]string{in.Name, "forged"}, Value: float64(r.Rejected())})
			}
			if l, ok := inputs[i].(interface{ Lost() uint64 }); ok {
				s.Lines = append(s.Lines, metrics.Count{Labels: [2]string{in.Name, "lost"}, Value: float64(l.Lost())})
			}
			if in.LastLine != nil {
				parser.Parse(in.LastLine, &pkt)
				if ts, ok := fwlog.ParseTime(pkt.Timestamp, now); ok {
					s.InputLag[in.Name] = max(now.Sub(ts).Seconds(), 0)
				}
			}
		}
		sum := current.Load().Summary()
		for _, r := range []struct {
			result string
			c      notify.Counts
		}{{"sent", sum.Done}, {"failed", sum.Failed}, {"dropped", sum.Dropped}} {
			for method, n := range map[string]int{"mail": r.c.Mails, "syslog": r.c.SyslogLines, "file": r.c.Files, "script": r.c.Scripts} {
				s.Alerts = append(s.Alerts, metrics.Count{Labels: [2]string{method, r.result}, Value: float64(n)})
			}
		}
		if policy != nil {
			st := policy.Stats()
			s.BlocksActive = st.Active
			for k, n := range st.Actions {
				s.BlockActions = append(s.BlockActions, metrics.Count{Labels: [2]string{k.Backend, k.Action}, Value: float64(n)})
			}
			for k, n := range st.Repairs {
				s.BlockActions = append(s.BlockActions, metrics.Count{Labels: [2]string{k.Backend, "repair_" + k.Action}, Value: float64(n)})
			}
		}
		return s, nil
	}
}
