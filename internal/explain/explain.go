// Package explain says in plain words why a source has its danger level,
// which of its packets the ignore rules removed, and why it was or was
// not alerted on and blocked (--explain). It does no I/O: it reads the
// tracker's state of one source and the settings, so -A and the daemon
// give the same answer for the same state.
package explain

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/pipeline"
	"github.com/psadgo/psad/internal/scan"
)

// Settings are the psad.conf values an explanation quotes.
type Settings struct {
	Scan scan.Settings
	// MinDL is MIN_DANGER_LEVEL, EmailDL EMAIL_ALERT_DANGER_LEVEL,
	// EmailLimit EMAIL_LIMIT (0: unlimited), AlertAll ALERT_ALL.
	MinDL, EmailDL, EmailLimit int
	AlertAll                   bool
	// AutoIDS is ENABLE_AUTO_IDS and AutoIDSDL AUTO_IDS_DANGER_LEVEL.
	AutoIDS   bool
	AutoIDSDL int
}

// AutoDL is the auto_dl entry covering the address.
type AutoDL struct {
	Prefix netip.Prefix
	Level  int
	Line   int
}

// Facts are what is known about one address.
type Facts struct {
	Addr netip.Addr
	// Source is the tracker's state; nil when the address sent nothing
	// that reached it.
	Source *scan.Source
	// Sig describes a signature id: its message and danger level.
	Sig func(id int) (msg string, dl int, ok bool)
	// AutoDL is the first auto_dl entry covering Addr, nil for none.
	AutoDL *AutoDL
	// Watch counts the address's packets by outcome; nil when they were
	// not counted (the daemon counts nothing per address).
	Watch *pipeline.Watch
	// NeverBlock is why the block policy would never block Addr ("" when
	// it may, or when unknown).
	NeverBlock string
	// Blocked is the address's active block, "" for none; Live tells the
	// answer comes from the running daemon (blocks are known).
	Blocked string
	Live    bool
}

// ruleWhy says what each ignore rule means, so the reader knows which
// setting to change.
var ruleWhy = [pipeline.NumRules]string{
	pipeline.RuleLogPrefix:        "its log prefix matches IGNORE_LOG_PREFIXES",
	pipeline.RuleInterface:        "it came in on another interface than --interface",
	pipeline.RuleIgnoreInterfaces: "its interface is in IGNORE_INTERFACES",
	pipeline.RuleFWMsgSearch:      "FW_SEARCH_ALL is N and no FW_MSG_SEARCH string matches the line",
	pipeline.RuleIPv6:             "ENABLE_IPV6_DETECTION is N",
	pipeline.RuleIgnoreProtocols:  "its protocol is in IGNORE_PROTOCOLS",
	pipeline.RuleConntrack:        "IGNORE_CONNTRACK_BUG_PKTS drops TCP packets with ACK or RST set",
	pipeline.RuleIgnorePorts:      "its destination port is in IGNORE_PORTS",
	pipeline.RuleRestrict:         "neither address is inside --restrict-ip",
	pipeline.RuleFields:           "--analysis-fields did not match",
	pipeline.RuleDropped:          "an auto_dl level 0 entry, a DL 0 signature or MAX_SCAN_IP_PAIRS discarded it",
}

// Write writes the explanation of f under s to w.
func Write(w io.Writer, f Facts, s Settings) error {
	_, err := io.WriteString(w, Text(f, s))
	return err
}

// Text is the explanation as lines of text.
func Text(f Facts, s Settings) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	addr := fwlog.AddrString(f.Addr)
	src := f.Source
	if src == nil {
		p("%s: unknown source: no packet from it reached the scan state.", addr)
		ignored(p, f)
		autoDL(p, f, 0)
		return b.String()
	}
	dsts := src.DstList()
	p("%s: danger level %d, %d packets to %d destination(s).", addr, src.DL, src.Packets, len(dsts))
	p("")
	p("Danger level")
	levels(p, src, dsts, s.Scan, f.Sig)
	autoDL(p, f, src.DL)
	ignored(p, f)
	p("")
	p("Alerts")
	alerts(p, src.DL, s)
	p("")
	p("Blocking")
	blocking(p, src.DL, f, s)
	return b.String()
}

type printer func(format string, a ...any)

// levels explains every contribution to the danger level: each
// destination's packets, port span, protocols and the destination count,
// then signatures and invalid ICMP.
func levels(p printer, src *scan.Source, dsts []*scan.Pair, s scan.Settings, sigInfo func(int) (string, int, bool)) {
	nDst := len(dsts)
	best := 0
	for _, pr := range dsts {
		d := fwlog.AddrString(pr.Dst)
		abs := int(pr.AbsNum)
		lo, hi, ports := 65535, 0, false
		for _, r := range pr.Ranges {
			if r.Seen {
				lo, hi, ports = min(lo, int(r.Lo)), max(hi, int(r.Hi)), true
			}
		}
		span := abs
		spanText := fmt.Sprintf("no ports, so its %d packets count as the span", abs)
		if ports {
			span = hi - lo
			spanText = fmt.Sprintf("ports %d-%d span %d", lo, hi, span)
		}
		switch {
		case abs == 0:
			continue
		case abs < s.DangerLevel[1] && nDst < s.UniqueHosts[1]:
			p("  %d packets to %s are below DANGER_LEVEL1 (%d) and %d destination(s) below DL1_UNIQUE_HOSTS (%d): no scan.",
				abs, d, s.DangerLevel[1], nDst, s.UniqueHosts[1])
			continue
		case span < s.PortRangeScanThreshold && pr.TotProtocols() < s.ProtocolScanThreshold && nDst < s.UniqueHosts[1]:
			p("  %d packets to %s: %s, below PORT_RANGE_SCAN_THRESHOLD (%d), %d protocol(s) below PROTOCOL_SCAN_THRESHOLD (%d), %d destination(s) below DL1_UNIQUE_HOSTS (%d): no scan.",
				abs, d, spanText, s.PortRangeScanThreshold, pr.TotProtocols(), s.ProtocolScanThreshold, nDst, s.UniqueHosts[1])
			continue
		}
		why := []string{}
		if span >= s.PortRangeScanThreshold {
			why = append(why, fmt.Sprintf("%s (PORT_RANGE_SCAN_THRESHOLD %d)", spanText, s.PortRangeScanThreshold))
		}
		if pr.TotProtocols() >= s.ProtocolScanThreshold {
			why = append(why, fmt.Sprintf("%d protocols reach PROTOCOL_SCAN_THRESHOLD (%d)", pr.TotProtocols(), s.ProtocolScanThreshold))
		}
		if nDst >= s.UniqueHosts[1] {
			why = append(why, fmt.Sprintf("%d destinations reach DL1_UNIQUE_HOSTS (%d)", nDst, s.UniqueHosts[1]))
		}
		pl, hl := levelFor(abs, s.DangerLevel), levelFor(nDst, s.UniqueHosts)
		l := max(pl, hl)
		best = max(best, l)
		p("  DL %d: %d packets to %s reached DANGER_LEVEL%d (%d)%s; it is a scan because %s.",
			l, abs, d, pl, s.DangerLevel[pl], next("DANGER_LEVEL", pl, s.DangerLevel), strings.Join(why, ", "))
		if hl > 1 || nDst >= s.UniqueHosts[1] {
			p("  DL %d: %d destinations reached DL%d_UNIQUE_HOSTS (%d)%s.", hl, nDst, hl, s.UniqueHosts[hl], next("DL", hl, s.UniqueHosts))
		}
		if pr.PortSweep {
			p("  %s is part of a port sweep: one port (span PORT_RANGE_SWEEP_THRESHOLD %d) across %d destinations.",
				d, s.PortRangeSweepThreshold, nDst)
		}
	}
	if nDst > 0 && nDst < s.UniqueHosts[1] {
		p("  %d destination(s): DL1_UNIQUE_HOSTS (%d) would make the destination count raise the level.", nDst, s.UniqueHosts[1])
	}
	seen := map[int]bool{}
	for _, pr := range dsts {
		for _, sr := range pr.Sigs() {
			msg, dl, ok := "", 0, false
			if sigInfo != nil {
				msg, dl, ok = sigInfo(sr.ID)
			}
			kind := "signature"
			if sr.Fwsnort {
				kind = "fwsnort rule"
			}
			if !ok {
				p("  %s %d matched %d packet(s) to %s.", kind, sr.ID, sr.Pkts, fwlog.AddrString(pr.Dst))
				continue
			}
			p("  DL %d: %s %d %q matched %d packet(s) to %s.", dl, kind, sr.ID, msg, sr.Pkts, fwlog.AddrString(pr.Dst))
			if !seen[sr.ID] {
				seen[sr.ID] = true
				best = max(best, dl)
			}
		}
		for _, ic := range pr.ICMP() {
			what := fmt.Sprintf("type %d", ic.Type)
			if ic.Code >= 0 {
				what = fmt.Sprintf("type %d code %d", ic.Type, ic.Code)
			}
			p("  DL 2: %d ICMP packet(s) to %s with invalid %s (not in the ICMP tables).", ic.Pkts, fwlog.AddrString(pr.Dst), what)
			best = max(best, 2)
		}
	}
	if src.DL > best && !src.AutoDL {
		p("  DL %d was reached earlier and is kept: a danger level never falls.", src.DL)
	}
}

// next says what the following level needs, or that n is the top.
func next(name string, n int, th [6]int) string {
	if n >= 5 {
		return ", the highest level"
	}
	if name == "DL" {
		return fmt.Sprintf("; DL%d_UNIQUE_HOSTS needs %d", n+1, th[n+1])
	}
	return fmt.Sprintf("; %s%d needs %d", name, n+1, th[n+1])
}

// levelFor maps a count onto thresholds th[1..5] as the tracker does.
func levelFor(n int, th [6]int) int {
	l := 1
	for i := 2; i <= 5; i++ {
		if n >= th[i] {
			l = i
		}
	}
	return l
}

func autoDL(p printer, f Facts, dl int) {
	a := f.AutoDL
	switch {
	case a == nil:
		p("  auto_dl: no entry covers %s.", fwlog.AddrString(f.Addr))
	case a.Level == 0:
		p("  auto_dl: %s (line %d) has level 0: every packet from %s is ignored and it is never blocked.", a.Prefix, a.Line, fwlog.AddrString(f.Addr))
	case f.Source != nil && f.Source.AutoDL:
		p("  DL %d: auto_dl entry %s (line %d) assigns level %d to %s.", a.Level, a.Prefix, a.Line, a.Level, fwlog.AddrString(f.Addr))
	default:
		p("  auto_dl: %s (line %d) has level %d; it has not assigned the level (the source is already at DL %d or the entry's protocols did not match).", a.Prefix, a.Line, a.Level, dl)
	}
}

func ignored(p printer, f Facts) {
	w := f.Watch
	if w == nil {
		if f.Live {
			p("  Ignored packets: the running daemon does not count them per address; run psad -A --explain on the log.")
		}
		return
	}
	total := 0
	for _, n := range w.Removed {
		total += n
	}
	if total == 0 {
		p("  No packet from it was removed by an ignore rule (%d accepted, %d malformed).", w.Accepted, w.Malformed)
		return
	}
	p("  %d packet(s) removed before scoring (%d accepted, %d malformed):", total, w.Accepted, w.Malformed)
	for r, n := range w.Removed {
		if n > 0 {
			p("    %s: %d packet(s): %s.", pipeline.Rule(r), n, ruleWhy[r])
		}
	}
}

func alerts(p printer, dl int, s Settings) {
	minDL := max(s.MinDL, 1)
	if dl < minDL {
		p("  Not alerted: DL %d is below MIN_DANGER_LEVEL (%d); it is not in the report or syslog.", dl, minDL)
		return
	}
	p("  DL %d reaches MIN_DANGER_LEVEL (%d): it is reported and logged to syslog.", dl, minDL)
	if dl < s.EmailDL {
		p("  No email: DL %d is below EMAIL_ALERT_DANGER_LEVEL (%d).", dl, s.EmailDL)
	} else {
		lim := "EMAIL_LIMIT is 0: no limit on emails"
		if s.EmailLimit > 0 {
			lim = fmt.Sprintf("EMAIL_LIMIT stops emails after %d for this source", s.EmailLimit)
		}
		p("  Email: DL %d reaches EMAIL_ALERT_DANGER_LEVEL (%d); %s.", dl, s.EmailDL, lim)
	}
	if s.AlertAll {
		p("  ALERT_ALL is Y: every check interval with new packets alerts again.")
	} else {
		p("  ALERT_ALL is N: a destination already alerted on is alerted again only when the DL rises.")
	}
}

func blocking(p printer, dl int, f Facts, s Settings) {
	switch {
	case !s.AutoIDS:
		p("  Not blocked: ENABLE_AUTO_IDS is N.")
	case f.Blocked != "":
		p("  Blocked: %s.", f.Blocked)
	case f.NeverBlock != "":
		p("  Never blocked: %s.", f.NeverBlock)
	case dl < s.AutoIDSDL:
		p("  Not blocked: DL %d is below AUTO_IDS_DANGER_LEVEL (%d).", dl, s.AutoIDSDL)
	case f.Live:
		p("  DL %d reaches AUTO_IDS_DANGER_LEVEL (%d) but no block is active: it expired or was removed.", dl, s.AutoIDSDL)
	default:
		p("  DL %d reaches AUTO_IDS_DANGER_LEVEL (%d): the daemon blocks it (or -A --analysis-auto-block).", dl, s.AutoIDSDL)
	}
}
