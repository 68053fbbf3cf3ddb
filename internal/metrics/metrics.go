// Package metrics serves the daemon's counters to Prometheus. Nothing is
// counted twice: on every scrape the collector asks for a Snapshot of the
// counters the daemon, the alert cycle and the block policy keep anyway,
// so the detection loop pays nothing between scrapes.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Count is one labelled value.
type Count struct {
	Labels [2]string
	Value  float64
}

// Snapshot is what one scrape reports.
type Snapshot struct {
	// Lines by input and result: parsed, malformed, ignored,
	// not_firewall, filtered, dropped, forged.
	Lines []Count
	// Packets by protocol key (tcp, udp, icmp, ...), since start.
	Packets map[string]float64
	// Sources is the number of tracked sources at each danger level 0..5.
	Sources [6]int
	// Alerts by method (mail, syslog, file, script) and result (sent,
	// failed, dropped).
	Alerts []Count
	// BlocksActive by backend; BlockActions by backend and action.
	BlocksActive map[string]int
	BlockActions []Count
	// InputLag is, per input, how far the last line processed is behind
	// the clock, by its syslog timestamp.
	InputLag map[string]float64
}

var (
	descLines = prometheus.NewDesc("psad_log_lines_total",
		"Log lines read, by input and what became of them.", []string{"input", "result"}, nil)
	descPackets = prometheus.NewDesc("psad_packets_total",
		"Packets that reached the scan state, by protocol.", []string{"proto"}, nil)
	descSources = prometheus.NewDesc("psad_sources",
		"Tracked sources by danger level.", []string{"danger_level"}, nil)
	descAlerts = prometheus.NewDesc("psad_alerts_total",
		"Alert output by method and result.", []string{"method", "result"}, nil)
	descBlocks = prometheus.NewDesc("psad_blocks_active",
		"Addresses and networks blocked, by firewall backend.", []string{"backend"}, nil)
	descBlockActions = prometheus.NewDesc("psad_block_actions_total",
		"Entries handed to firewall backends, by backend and action.", []string{"backend", "action"}, nil)
	descLag = prometheus.NewDesc("psad_input_lag_seconds",
		"How far the last line processed from an input is behind the clock, by its timestamp.", []string{"input"}, nil)
	descUp = prometheus.NewDesc("psad_up",
		"1 when the daemon answered the scrape.", nil, nil)
)

// Names are the metric names this package exports (documented in
// docs/metrics.md; the Grafana dashboard's queries are checked against
// them).
var Names = []string{"psad_log_lines_total", "psad_packets_total", "psad_sources", "psad_alerts_total",
	"psad_blocks_active", "psad_block_actions_total", "psad_input_lag_seconds", "psad_up"}

// Collector turns Snapshots into metrics.
type Collector struct {
	snap    func(ctx context.Context) (*Snapshot, error)
	timeout time.Duration
}

// NewCollector returns a collector that calls snap on every scrape.
func NewCollector(snap func(ctx context.Context) (*Snapshot, error)) *Collector {
	return &Collector{snap: snap, timeout: 5 * time.Second}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLines, descPackets, descSources, descAlerts, descBlocks, descBlockActions, descLag, descUp} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	s, err := c.snap(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	for _, l := range s.Lines {
		ch <- prometheus.MustNewConstMetric(descLines, prometheus.CounterValue, l.Value, l.Labels[0], l.Labels[1])
	}
	for proto, n := range s.Packets {
		ch <- prometheus.MustNewConstMetric(descPackets, prometheus.CounterValue, n, proto)
	}
	for dl, n := range s.Sources {
		ch <- prometheus.MustNewConstMetric(descSources, prometheus.GaugeValue, float64(n), strconv.Itoa(dl))
	}
	for _, a := range s.Alerts {
		ch <- prometheus.MustNewConstMetric(descAlerts, prometheus.CounterValue, a.Value, a.Labels[0], a.Labels[1])
	}
	for b, n := range s.BlocksActive {
		ch <- prometheus.MustNewConstMetric(descBlocks, prometheus.GaugeValue, float64(n), b)
	}
	for _, a := range s.BlockActions {
		ch <- prometheus.MustNewConstMetric(descBlockActions, prometheus.CounterValue, a.Value, a.Labels[0], a.Labels[1])
	}
	for in, lag := range s.InputLag {
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, lag, in)
	}
}

// Handler serves c with the Go runtime and process collectors at
// /metrics.
func Handler(c *Collector, log *slog.Logger) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogLogger{log}}))
	return mux
}

// Listen binds addr (METRICS_ADDRESS) now, so a taken port is an error at
// start rather than later.
func Listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDRESS %s: %w", addr, err)
	}
	return l, nil
}

// Serve answers HTTP on l until ctx is done.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics server: %w", err)
	}
	return nil
}

// slogLogger adapts slog to promhttp's error log.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Println(v ...any) {
	if l.log != nil {
		l.log.Error("metrics", "err", fmt.Sprint(v...))
	}
}
