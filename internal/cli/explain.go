package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/analysis"
	"github.com/psadgo/psad/internal/argv"
	"github.com/psadgo/psad/internal/block"
	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/ctl"
	"github.com/psadgo/psad/internal/daemon"
	"github.com/psadgo/psad/internal/detect"
	"github.com/psadgo/psad/internal/explain"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/report"
	"github.com/psadgo/psad/internal/report/jsonout"
	"github.com/psadgo/psad/internal/respond"
	"github.com/psadgo/psad/internal/scan"
)

// parseExplainAddr reads --explain's address.
func parseExplainAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("--explain: %q is not an IP address", s)
	}
	return a.Unmap(), nil
}

// analysisOutput prepares -A for --json or --explain: psad's progress
// lines move to stderr so stdout holds only the document or explanation,
// and the text report is replaced. It returns an exit status, 0 to go on.
func analysisOutput(o *argv.Options, set *config.Settings, env Env, s *analysis.Setup) int {
	out := env.Stdout
	s.Stdout = env.Stderr
	if o.Explain != "" {
		addr, err := parseExplainAddr(o.Explain)
		if err != nil {
			fmt.Fprintf(env.Stderr, "[*] %v\n", err)
			return 1
		}
		s.Watch = &pipeline.Watch{Src: addr}
		s.Render = func(d *detect.Detector, t *scan.Tracker) error {
			f := explainFacts(addr, t, d)
			f.Watch = s.Watch
			return explain.Write(out, f, explainSettings(set, d))
		}
		return 0
	}
	s.Render = func(d *detect.Detector, t *scan.Tracker) error {
		doc := jsonout.New(jsonout.KindAnalysis, Version, time.Now())
		doc.Fill(t, reportOptions(set, d, o.StatusSummary))
		return doc.Write(out)
	}
	return 0
}

// reportOptions are the text report's limits and engines, shared by the
// JSON document.
func reportOptions(set *config.Settings, det *detect.Detector, summary bool) report.Options {
	ro := report.Options{Version: Version, MinDL: set.Alert.MinDangerLevel, Protocols: det.Protocols,
		SigsMax: set.Status.SigsThreshold, IPMax: set.Status.IPThreshold, PortsMax: set.Status.PortsThreshold,
		SummaryOnly: summary}
	if e := det.Engines; e != nil {
		ro.Sigs, ro.DetailSigs, ro.ICMPType = e.TopSigInfo, e.DetailSigInfo, e.ICMPTypeName
	}
	return ro
}

// explainSettings collects the psad.conf values --explain quotes.
func explainSettings(set *config.Settings, det *detect.Detector) explain.Settings {
	return explain.Settings{Scan: det.Scan, MinDL: set.Alert.MinDangerLevel, EmailDL: set.Alert.EmailAlertDangerLevel,
		EmailLimit: set.Alert.EmailLimit, AlertAll: set.Alert.AlertAll, AutoIDS: set.Block.AutoIDS,
		AutoIDSDL: set.Block.AutoIDSDangerLevel}
}

// explainFacts gathers what the tracker and the engines know of addr.
func explainFacts(addr netip.Addr, t *scan.Tracker, d *detect.Detector) explain.Facts {
	f := explain.Facts{Addr: addr, Source: t.Source(addr)}
	if e := d.Engines; e != nil {
		f.Sig = func(id int) (string, int, bool) {
			if e.Sigs != nil {
				if s := e.Sigs.Lookup(id); s != nil {
					return s.Msg, s.DL, true
				}
			}
			if r, ok := e.Rules[id]; ok {
				return r.Msg, e.RuleDL[id], true
			}
			return "", 0, false
		}
	}
	if d.AutoDL != nil {
		best := -1
		for _, en := range d.AutoDL.Entries() {
			if en.Prefix.Contains(addr) && en.Prefix.Bits() > best {
				best = en.Prefix.Bits()
				f.AutoDL = &explain.AutoDL{Prefix: en.Prefix, Level: en.Level, Line: en.Line}
			}
		}
	}
	return f
}

// runExplainLive is --explain without -A: the running daemon answers
// from its live state.
func runExplainLive(o *argv.Options, set *config.Settings, env Env) int {
	if _, err := parseExplainAddr(o.Explain); err != nil {
		fmt.Fprintf(env.Stderr, "[*] %v\n", err)
		return 1
	}
	rep, err := ctl.Ask(ctl.SocketPath(set.Files.RunDir), ctl.Request{Op: "explain", Arg: o.Explain}, 15*time.Second)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] no answer from the daemon: %v\n", err)
		return 1
	}
	env.Stdout.Write(rep)
	if bytes.HasPrefix(rep, []byte("[*]")) {
		return 1
	}
	return 0
}

// liveQuery handles the control socket's explain op and -S --json: the
// report is rendered on the daemon's loop, then blocks, known off the
// loop, are added.
func liveQuery(ctx context.Context, d *daemon.Daemon, policy *block.Policy, req ctl.Request, w io.Writer) error {
	q := daemon.ReportQuery{Summary: req.Summary, MinDL: req.MinDL, JSON: req.JSON}
	if req.Op == "explain" {
		addr, err := parseExplainAddr(req.Arg)
		if err != nil {
			return err
		}
		q.Explain = addr
		if policy != nil {
			q.NeverBlock = policy.NeverBlockReason(addr)
			for _, b := range policy.List() {
				if b.Prefix.Contains(addr) {
					q.Blocked = blockText(b)
				}
			}
		}
	}
	var only netip.Addr
	if req.Op != "explain" && req.Arg != "" {
		// --status-ip with --json: only that source and its blocks.
		a, err := parseStatusIP(req.Arg)
		if err != nil {
			return err
		}
		only = a
	}
	var buf bytes.Buffer
	if err := d.Query(ctx, func(t *scan.Tracker, rt *daemon.Runtime) { rt.Report(&buf, t, q) }); err != nil {
		return fmt.Errorf("daemon busy: %w", err)
	}
	if q.Explain.IsValid() || !req.JSON {
		_, err := w.Write(buf.Bytes())
		return err
	}
	var doc jsonout.Doc
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		return fmt.Errorf("status json: %w", err)
	}
	var blocks []block.Status
	if policy != nil {
		blocks = policy.List()
	}
	if only.IsValid() {
		keep := doc.Sources[:0]
		for _, s := range doc.Sources {
			// Compared as addresses: the document writes them in
			// canonical form, the user may not.
			if a, err := netip.ParseAddr(s.Addr); err == nil && a.Unmap() == only {
				keep = append(keep, s)
			}
		}
		doc.Sources = keep
		doc.Totals.Listed = len(keep)
		var cover []block.Status
		for _, b := range blocks {
			if b.Prefix.Contains(only) {
				cover = append(cover, b)
			}
		}
		blocks = cover
	}
	doc.Blocks = jsonBlocks(blocks)
	return doc.Write(w)
}

// parseStatusIP reads --status-ip's address.
func parseStatusIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("--status-ip: %q is not an IP address", s)
	}
	return a.Unmap(), nil
}

// blockText describes an active block for --explain.
func blockText(b block.Status) string {
	left := "permanently"
	if !b.Expires.IsZero() {
		left = "until " + b.Expires.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s at DL %d since %s, %s, in %s", b.Prefix, b.DL, b.Since.UTC().Format(time.RFC3339), left,
		strings.Join(b.Backends, ", "))
}

// jsonBlocks converts the block list for the JSON document.
func jsonBlocks(list []block.Status) []jsonout.Block { return respond.JSONBlocks(list) }

// runStatusJSON is -S --json: only the document, from the running
// daemon (no process line, no STATUS_OUTPUT_FILE copy).
func runStatusJSON(o *argv.Options, set *config.Settings, env Env) int {
	if !statusDLValid(o, env) {
		return 1
	}
	if o.StatusIP != "" {
		if _, err := parseStatusIP(o.StatusIP); err != nil {
			fmt.Fprintf(env.Stderr, "[*] %v\n", err)
			return 1
		}
	}
	rep, err := ctl.Ask(ctl.SocketPath(set.Files.RunDir), ctl.Request{Op: "status", Summary: o.StatusSummary,
		MinDL: o.StatusDL, JSON: true, Arg: o.StatusIP}, 15*time.Second)
	if err != nil {
		fmt.Fprintf(env.Stderr, "[*] no status from the daemon: %v\n", err)
		return 1
	}
	env.Stdout.Write(rep)
	if bytes.HasPrefix(rep, []byte("[*]")) {
		return 1
	}
	return 0
}

// renderQuery is the JSON and --explain part of the daemon's reporter;
// it reports false when q asks for the text report.
func renderQuery(w io.Writer, set *config.Settings, det *detect.Detector, emails func(*scan.Source) int, t *scan.Tracker, q daemon.ReportQuery) bool {
	switch {
	case q.Explain.IsValid():
		f := explainFacts(q.Explain, t, det)
		f.Live, f.Blocked, f.NeverBlock = true, q.Blocked, q.NeverBlock
		explain.Write(w, f, explainSettings(set, det))
	case q.JSON:
		ro := reportOptions(set, det, q.Summary)
		ro.MinDL = max(q.MinDL, ro.MinDL)
		ro.EmailAlerts = emails
		doc := jsonout.New(jsonout.KindStatus, Version, time.Now())
		doc.Fill(t, ro)
		doc.Write(w)
	default:
		return false
	}
	return true
}
