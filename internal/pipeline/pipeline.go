package pipeline

import (
	"bytes"
	"net/netip"
	"time"
	"unicode/utf8"

	"github.com/psadgo/psad/internal/fieldexpr"
	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

// Outcome is what became of one line.
type Outcome uint8

const (
	// NotFirewall: the line is no netfilter LOG line (no IN=/OUT=).
	NotFirewall Outcome = iota
	// Ignored: an ignore rule of psad.conf or the command line matched.
	Ignored
	// Malformed: a LOG line that could not be parsed; kept in the error log.
	Malformed
	// Filtered: rejected by --analysis-fields.
	Filtered
	// Dropped: reached scan state but was discarded there (auto_dl level
	// 0, a DL-0 signature, MAX_SCAN_IP_PAIRS).
	Dropped
	// Accepted: the packet is in the scan state.
	Accepted
)

// Stats counts outcomes.
type Stats struct {
	Lines     int64
	ByOutcome [Accepted + 1]int64
}

// Matcher is the --analysis-fields filter.
type Matcher interface {
	Match(p *fwlog.Packet, ctx *fieldexpr.Context) bool
}

// Pipeline processes lines one at a time. It is not safe for concurrent
// use; the Packet field holds the last line's packet until the next call.
type Pipeline struct {
	Parser  *fwlog.Parser
	Rules   Rules
	Tracker *scan.Tracker // nil when only classification is wanted (CSV)
	Fields  Matcher       // nil: no --analysis-fields
	// Clock gives the time for lines whose timestamp cannot be read.
	Clock func() time.Time
	// UseClock makes every packet's time the clock's (the daemon), not
	// the log timestamp (analysis mode).
	UseClock bool
	// OnMalformed receives every malformed line and why (the line buffer
	// is reused afterwards: copy it to keep it).
	OnMalformed func(line []byte, err error)
	// Watch, when set, counts what became of one source's packets
	// (--explain); nil costs one comparison per line.
	Watch *Watch

	Packet fwlog.Packet
	Stats  Stats

	lastTS   []byte
	lastTime time.Time
	ctx      fieldexpr.Context
}

// New returns a pipeline with psad's default rules.
func New(parser *fwlog.Parser, rules Rules, t *scan.Tracker) *Pipeline {
	return &Pipeline{Parser: parser, Rules: rules, Tracker: t, Clock: time.Now}
}

// Classify parses line into pl.Packet and applies the ignore rules
// (psad's order: prefix counter, chain, interface rules, FW_MSG_SEARCH,
// IPv6, protocol, then the per-protocol checks). The error is non-nil
// only for Malformed.
func (pl *Pipeline) Classify(line []byte) (Outcome, error) {
	err := pl.Parser.Parse(line, &pl.Packet)
	return pl.classify(line, &pl.Packet, err)
}

// hasText reports whether b holds more than white space, as
// len(bytes.TrimSpace(b)) > 0 does. Why not that: it was 6% of -A's
// tracker goroutine, asked of every packet's prefix; a prefix that
// starts with an ASCII letter is decided here at its first byte.
func hasText(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= utf8.RuneSelf:
			return len(bytes.TrimSpace(b)) > 0 // Unicode spaces
		case c != ' ' && (c < '\t' || c > '\r'):
			return true
		}
	}
	return false
}

// classify applies the rules to a packet parsed from line with result err.
func (pl *Pipeline) classify(line []byte, p *fwlog.Packet, err error) (Outcome, error) {
	if err == fwlog.ErrNotFirewall {
		return NotFirewall, nil
	}
	r := &pl.Rules
	if hasText(p.Prefix) {
		if r.IgnoreLogPrefixes != nil && r.IgnoreLogPrefixes.Match(p.Prefix) {
			return pl.ignore(p, RuleLogPrefix)
		}
		if pl.Tracker != nil {
			pl.Tracker.CountPrefix(p.Prefix)
		}
	}
	if p.Chain == fwlog.ChainNone {
		if err == nil {
			err = fwlog.ErrNoChain
		}
		return Malformed, err
	}
	if r.Interface != "" && string(p.Intf) != r.Interface {
		return pl.ignore(p, RuleInterface)
	}
	if r.IgnoreInterfaces != nil && r.IgnoreInterfaces[string(p.Intf)] {
		return pl.ignore(p, RuleIgnoreInterfaces)
	}
	if !r.FWSearchAll && p.FwsnortSID == 0 && !pl.searchMatch(line) {
		return pl.ignore(p, RuleFWMsgSearch)
	}
	if p.IPv6 && !r.IPv6 {
		return pl.ignore(p, RuleIPv6)
	}
	if !p.HasProto {
		if err == nil {
			err = fwlog.ErrNoProto
		}
		return Malformed, err
	}
	if r.IgnoreProto[p.ProtoIndex()] {
		return pl.ignore(p, RuleIgnoreProtocols)
	}
	if err != nil {
		return Malformed, err
	}
	switch p.Proto {
	case fwlog.ProtoTCP:
		if r.Conntrack && p.FwsnortSID == 0 && p.Flags&(fwlog.FlagACK|fwlog.FlagRST) != 0 {
			return pl.ignore(p, RuleConntrack)
		}
		if r.IgnoreTCP != nil && r.IgnoreTCP[p.DstPort>>6]&(1<<(p.DstPort&63)) != 0 {
			return pl.ignore(p, RuleIgnorePorts)
		}
	case fwlog.ProtoUDP:
		if r.IgnoreUDP != nil && r.IgnoreUDP[p.DstPort>>6]&(1<<(p.DstPort&63)) != 0 {
			return pl.ignore(p, RuleIgnorePorts)
		}
	}
	if r.Restrict.IsValid() && p.Src.Is4() == r.Restrict.Addr().Is4() &&
		!r.Restrict.Contains(p.Src) && !r.Restrict.Contains(p.Dst) {
		return pl.ignore(p, RuleRestrict)
	}
	return Accepted, nil
}

// SearchMatch reports whether a line passes FW_SEARCH_ALL/FW_MSG_SEARCH
// (always true with FW_SEARCH_ALL=Y); analysis mode applies it before
// counting a line as a firewall message.
func (pl *Pipeline) SearchMatch(line []byte) bool {
	return pl.Rules.FWSearchAll || pl.searchMatch(line)
}

func (pl *Pipeline) searchMatch(line []byte) bool {
	for _, re := range pl.Rules.FWMsgSearch {
		if re.Match(line) {
			return true
		}
	}
	return false
}

// Process runs one line through the whole pipeline.
func (pl *Pipeline) Process(line []byte) Outcome {
	err := pl.Parser.Parse(line, &pl.Packet)
	return pl.ProcessParsed(line, &pl.Packet, err)
}

// ProcessParsed continues Process for a line another goroutine already
// parsed into p (with Parse's result err), so parsing can run on another
// core; lines must arrive in log order.
func (pl *Pipeline) ProcessParsed(line []byte, p *fwlog.Packet, err error) Outcome {
	pl.Stats.Lines++
	o, err := pl.classify(line, p, err)
	if o == Accepted {
		if pl.Fields != nil && !pl.Fields.Match(p, &pl.ctx) {
			o = Filtered
		} else if pl.Tracker != nil && !pl.Tracker.Observe(pl.time(p), p) {
			o = Dropped
		}
	}
	if pl.Watch != nil && p.Src == pl.Watch.Src {
		pl.Watch.seen(o)
	}
	if o == Malformed && pl.OnMalformed != nil {
		pl.OnMalformed(line, err)
	}
	pl.Stats.ByOutcome[o]++
	return o
}

// Reaches reports whether ProcessParsed would hand the packet to the
// tracker: it passes the ignore rules and --analysis-fields. It changes
// no state when the pipeline has no Tracker and no Watch.
func (pl *Pipeline) Reaches(line []byte, p *fwlog.Packet, err error) bool {
	o, _ := pl.classify(line, p, err)
	return o == Accepted && (pl.Fields == nil || pl.Fields.Match(p, &pl.ctx))
}

// time returns the packet's time from its syslog timestamp, reusing the
// previous result while the timestamp text repeats (it usually does for
// whole bursts of a scan).
func (pl *Pipeline) time(p *fwlog.Packet) time.Time {
	if pl.UseClock {
		return pl.Clock()
	}
	ts := p.Timestamp
	if len(ts) > 0 && bytes.Equal(ts, pl.lastTS) {
		return pl.lastTime
	}
	now := pl.Clock()
	t, ok := fwlog.ParseTime(ts, now)
	if !ok {
		t = now
	}
	pl.lastTS = append(pl.lastTS[:0], ts...)
	pl.lastTime = t
	return t
}

// ignore counts an ignored packet for Watch and returns Ignored.
func (pl *Pipeline) ignore(p *fwlog.Packet, r Rule) (Outcome, error) {
	if pl.Watch != nil && p.Src == pl.Watch.Src {
		pl.Watch.Removed[r]++
	}
	return Ignored, nil
}

// Rule names what kept a packet out of the scan state, for --explain.
type Rule uint8

// The rules in the order classify applies them, then the two outcomes
// decided after it.
const (
	RuleLogPrefix        Rule = iota // IGNORE_LOG_PREFIXES
	RuleInterface                    // -i/--interface
	RuleIgnoreInterfaces             // IGNORE_INTERFACES
	RuleFWMsgSearch                  // FW_SEARCH_ALL=N and no FW_MSG_SEARCH match
	RuleIPv6                         // ENABLE_IPV6_DETECTION=N
	RuleIgnoreProtocols              // IGNORE_PROTOCOLS
	RuleConntrack                    // IGNORE_CONNTRACK_BUG_PKTS
	RuleIgnorePorts                  // IGNORE_PORTS
	RuleRestrict                     // --restrict-ip
	RuleFields                       // --analysis-fields
	RuleDropped                      // auto_dl level 0, a DL-0 signature or MAX_SCAN_IP_PAIRS
	NumRules
)

var ruleNames = [NumRules]string{"IGNORE_LOG_PREFIXES", "--interface", "IGNORE_INTERFACES", "FW_MSG_SEARCH",
	"ENABLE_IPV6_DETECTION", "IGNORE_PROTOCOLS", "IGNORE_CONNTRACK_BUG_PKTS", "IGNORE_PORTS", "--restrict-ip",
	"--analysis-fields", "scan state"}

// String is the psad.conf variable or option behind the rule.
func (r Rule) String() string {
	if r < NumRules {
		return ruleNames[r]
	}
	return "unknown rule"
}

// Watch counts what became of the packets of one source address. Only
// --explain sets one, so the daemon's and -A's hot path pays a nil check.
type Watch struct {
	Src netip.Addr
	// Removed counts packets by the rule that removed them.
	Removed [NumRules]int
	// Accepted counts packets that reached the scan state; Malformed
	// those that could not be parsed.
	Accepted, Malformed int
}

func (w *Watch) seen(o Outcome) {
	switch o {
	case Accepted:
		w.Accepted++
	case Malformed:
		w.Malformed++
	case Filtered:
		w.Removed[RuleFields]++
	case Dropped:
		w.Removed[RuleDropped]++
	}
}
