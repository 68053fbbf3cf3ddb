// Package inspect names what the scan state only counts: it runs the
// signature, fwsnort, ICMP type/code and passive OS fingerprinting engines
// on each packet (psad's steps 10, 11 and 16) and tells the report how to
// name what they found. It is built once from psad.conf and its data
// files, then used read-only except for the per-source OS state.
package inspect

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/icmptype"
	"github.com/psadgo/psad/internal/osfp"
	"github.com/psadgo/psad/internal/scan"
	"github.com/psadgo/psad/internal/sig"
)

// Engines holds the loaded engines; a nil field is a disabled engine.
type Engines struct {
	Sigs      *sig.Set
	SigsFrom  string            // the signature file read, "" for the built-in set
	Rules     map[int]*sig.Rule // fwsnort rules by SID
	RuleDL    map[int]int       // snort_rule_dl
	ICMP4     *icmptype.Table
	ICMP6     *icmptype.Table
	PF        *osfp.PFDB   // pf.os (psad's p0f method)
	Posf      *osfp.PosfDB // psad's posf method
	P0F       *osfp.P0F    // p0f v3
	MaxHops   int
	FwsnortOn bool // fwsnort SID handling (off with --no-snort-sids)
	// RefURLs is reference.config: reference type (lower case) -> base
	// URL; nil uses Snort's stock types (see AlertSig).
	RefURLs map[string]string
	// SnortRulesDir is SNORT_RULES_DIR when the Snort rules were read
	// (fwsnort SIDs on, psad's data), and Classification says its
	// classification.config was: psad's start-up syslog names both.
	SnortRulesDir  string
	Classification bool

	hits []sig.Hit
	memo fpMemo
	cur  *Pre // the current packet's preparation, if any
}

// Pre is the part of inspecting a packet that depends on the packet
// alone, done ahead on the parsing goroutines (see Prepare).
type Pre struct {
	ready bool
	hasFP bool
	hits  []sig.Hit
	// fp is held by value, as in the memo: a busy log has hundreds of
	// thousands of distinct SYNs, and a pointer would be an allocation
	// for each.
	fp fpResult
}

// Preparer returns a function that matches signatures and looks up
// fingerprints for a packet ahead of Inspect and Fingerprint; the results
// are used when Use hands the Pre to them. Each returned function keeps
// its own fingerprint memo and only reads the engines, so each parsing
// goroutine can run its own.
func (e *Engines) Preparer() func(*fwlog.Packet, error, *Pre) {
	memo := new(fpMemo)
	return func(p *fwlog.Packet, err error, pre *Pre) { e.prepare(p, err, pre, memo) }
}

func (e *Engines) prepare(p *fwlog.Packet, err error, pre *Pre, memo *fpMemo) {
	pre.ready = false
	if err != nil {
		return
	}
	pre.hits = pre.hits[:0]
	if e.Sigs != nil && !(p.FwsnortSID > 0 && e.FwsnortOn) {
		pre.hits = e.Sigs.Match(p, pre.hits)
	}
	pre.hasFP = false
	if p.Proto == fwlog.ProtoTCP && p.Flags&fwlog.FlagSYN != 0 && (e.P0F != nil || e.PF != nil) {
		k, ok := keyFor(p)
		if r, found := memo.get(&k); ok && found {
			pre.fp = r
		} else {
			r := e.fingerprintOf(p)
			if ok {
				memo.put(&k, r)
			}
			pre.fp = r
		}
		pre.hasFP = true
	}
	pre.ready = true
}

// Fork returns engines that share e's read-only data but have their own
// per-packet scratch space, for a tracker running on another goroutine
// (a shard of an analysis: see scan.Tracker.Absorb). Per-source OS state
// lives in the sources, so Finish on either sees it all.
func (e *Engines) Fork() *Engines {
	f := *e
	f.hits, f.memo, f.cur = nil, fpMemo{}, nil
	return &f
}

// Use makes the next Inspect and Fingerprint calls take their signature
// matches and fingerprints from pre (nil: compute them there).
func (e *Engines) Use(pre *Pre) { e.cur = pre }

// Inspect is the scan.Tracker Inspect hook: ICMP validation, then fwsnort
// or psad signatures (psad steps 10-11).
func (e *Engines) Inspect(p *fwlog.Packet, src *scan.Source, ins *scan.Inspection) {
	switch {
	case p.Proto == fwlog.ProtoICMP && !p.IPv6 && e.ICMP4 != nil:
		e.checkICMP(e.ICMP4, p, ins)
	case p.Proto == fwlog.ProtoICMPv6 && p.IPv6 && e.ICMP6 != nil:
		e.checkICMP(e.ICMP6, p, ins)
	}
	if p.FwsnortSID > 0 && e.FwsnortOn {
		r, known := e.Rules[p.FwsnortSID]
		if !known {
			// psad: an SID not in the rules directory makes a plain
			// packet, and psad's own signatures are not tried on it.
			return
		}
		dl, ok := e.RuleDL[r.SID]
		if !ok {
			dl = 2
		}
		if dl == 0 {
			ins.Drop = true
			return
		}
		ins.Sigs = append(ins.Sigs, scan.SigHit{ID: r.SID, Proto: p.ProtoKey(), DL: dl, Fwsnort: true, Rule: p.FwsnortRule, Estab: p.FwsnortEstab})
		ins.SidDL = dl
		return
	}
	if e.Sigs == nil {
		return
	}
	hits := e.hits[:0]
	if e.cur != nil && e.cur.ready {
		hits = e.cur.hits
	} else {
		hits = e.Sigs.Match(p, hits)
		e.hits = hits
	}
	if len(hits) == 0 {
		return
	}
	maxDL := 0
	for _, h := range hits {
		if h.DL > 0 {
			ins.Sigs = append(ins.Sigs, scan.SigHit{ID: h.Sig.ID, Proto: h.Sig.Proto, DL: h.DL, Rule: -1})
		}
		maxDL = max(maxDL, h.DL)
	}
	if maxDL == 0 {
		// Only DL-0 signatures matched: psad's per-signature whitelist.
		ins.Drop = true
		return
	}
	ins.SigDL = maxDL
}

func (e *Engines) checkICMP(t *icmptype.Table, p *fwlog.Packet, ins *scan.Inspection) {
	typeOK, codeOK := t.Check(p.ICMPType, p.ICMPCode)
	ins.InvalidType = !typeOK
	ins.InvalidCode = typeOK && !codeOK
}

// posfState is the engines' state for a source, kept in its
// scan.SourceOS, which it holds: one allocation for both.
type posfState struct {
	os scan.SourceOS
	st osfp.PosfState
	// v3 counts SYNs per best p0f v3 label; a source shows one or two
	// labels, so a short list beats a map. best indexes it (-1: none).
	v3   []v3Count
	best int
}

type v3Count struct {
	label string
	n     int
	why   string
}

// fpKey is everything a SYN's fingerprint depends on. Scans repeat the
// same few header combinations thousands of times, so results are
// remembered by it instead of matching every SYN against the database.
type fpKey struct {
	ttl, ipLen, win, tos, tc int
	df, v6                   bool
	flags                    fwlog.TCPFlags
	// sign classes (-1 unset, 0 zero, 1 positive) of fields only
	// quirks look at
	ipid, flow, seq, ack int8
	opts                 [40]byte
	nopts, ipOptsLen     int
}

func sign[T int | int64](v T) int8 {
	switch {
	case v < 0:
		return -1
	case v == 0:
		return 0
	}
	return 1
}

type fpResult struct {
	pf    []string
	guess osfp.Guess
	ok    bool
}

func keyFor(p *fwlog.Packet) (fpKey, bool) {
	if len(p.TCPOpts) > len(fpKey{}.opts) {
		return fpKey{}, false
	}
	k := fpKey{ttl: p.TTL, ipLen: p.IPLen, win: p.Window, tos: p.TOS, tc: p.TC, df: p.DF, v6: p.IPv6, flags: p.Flags,
		ipid: sign(p.IPID), flow: sign(p.FlowLabel), seq: sign(p.TCPSeq), ack: sign(p.TCPAck),
		nopts: len(p.TCPOpts), ipOptsLen: len(p.IPOpts)}
	if p.IPv6 {
		k.ttl = p.HopLimit
	}
	copy(k.opts[:], p.TCPOpts)
	tsClasses(k.opts[:k.nopts])
	return k, true
}

// tsClasses replaces the TSval and TSecr of each well-formed timestamp
// option in h, a SYN's TCP options as LOG prints them (hex), by their
// class: "00000000" for zero, "00000001" for any other value. Neither
// fingerprint method reads more of them than that (psad's pf.os "T0"
// against "T", p0f v3's ts1- and ts2+ quirks, its window multiples with
// a timestamp), and an operating system draws TSval afresh for each
// connection: with the values in the key, nearly every Linux SYN of a
// busy log (234,000 keys among 551,000 SYNs in the 1M-line mixed log)
// missed the memo and was matched against the whole database.
//
// Only options both decoders reach alike are touched: the walk stops at
// what either would stop at or read differently (an EOL, a length byte
// below 2, an option running past the end, a digit that is not hex).
// A value with such a digit is left as it is: both decoders reject the
// whole text for it, and a class would make it valid.
func tsClasses(h []byte) {
	if len(h)%2 != 0 {
		return
	}
	n := len(h) / 2
	at := func(k int) int { return int(hexTab[h[2*k]])<<4 | int(hexTab[h[2*k+1]]) }
	for k := 0; k < n; {
		kind := at(k)
		switch {
		case kind <= 0: // EOL, or not hex
			return
		case kind == 1: // NOP
			k++
			continue
		}
		if k+1 >= n {
			return
		}
		l := at(k + 1)
		if l < 2 || k+l > n {
			return
		}
		if kind == 8 && l == 10 && !(classOf(h[2*(k+2):2*(k+6)]) && classOf(h[2*(k+6):2*(k+10)])) {
			return
		}
		k += l
	}
}

// classOf rewrites v, eight hex digits, as "00000000" or "00000001"; it
// reports false, leaving v alone, when a digit is not hex.
func classOf(v []byte) bool {
	var or int8
	for _, c := range v[:8] {
		or |= hexTab[c]
	}
	if or < 0 {
		return false
	}
	copy(v, "00000000")
	if or != 0 {
		v[7] = '1'
	}
	return true
}

// hexTab is each byte's value as a hex digit, -1 for a byte that is not
// one; with the sign bit set, -1 shifted or ORed stays negative.
var hexTab = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range 10 {
		t['0'+i] = int8(i)
	}
	for i := range 6 {
		t['a'+i], t['A'+i] = int8(10+i), int8(10+i)
	}
	return t
}()

func (e *Engines) memoized(p *fwlog.Packet) fpResult {
	if e.cur != nil && e.cur.ready && e.cur.hasFP {
		return e.cur.fp
	}
	k, ok := keyFor(p)
	if !ok {
		return e.fingerprintOf(p)
	}
	if r, found := e.memo.get(&k); found {
		return r
	}
	r := e.fingerprintOf(p)
	e.memo.put(&k, r)
	return r
}

// Fingerprint is the scan.Tracker Fingerprint hook (psad step 16) for
// SYN packets: the p0f method with TCP options, posf without.
func (e *Engines) Fingerprint(p *fwlog.Packet, src *scan.Source, pair *scan.Pair) {
	if len(p.TCPOpts) > 0 || e.P0F != nil {
		if e.P0F != nil {
			e.fingerprintV3(p, src)
			return
		}
		if e.PF != nil && !p.IPv6 {
			for _, g := range e.memoized(p).pf {
				addGuess(src, g)
			}
		}
		return
	}
	// The source's state (some 200 bytes) waits for a packet posf counts: a
	// UDP, ICMP or ACK flood's sources, and a busy log's, keep none.
	if e.Posf == nil || !osfp.PosfUses(p) || src.PosfGuess() != "" || pair.AbsNum >= 100 {
		return
	}
	st := stateOf(src)
	if g, ok := e.Posf.Observe(&st.st, p); ok {
		st.os.Posf = g
	}
}

// stateOf returns src's posfState, made if need be (taking over the
// guesses src had).
func stateOf(src *scan.Source) *posfState {
	o := src.OS()
	if o != nil {
		if st, ok := o.Scratch.(*posfState); ok {
			return st
		}
	}
	st := &posfState{best: -1}
	if o != nil {
		st.os = *o
	}
	st.os.Scratch = st
	src.SetOS(&st.os)
	return st
}

// stateIn returns src's posfState, nil when it has none.
func stateIn(src *scan.Source) *posfState {
	if o := src.OS(); o != nil {
		st, _ := o.Scratch.(*posfState)
		return st
	}
	return nil
}

// fingerprintV3 counts, per source, how many SYNs matched each best p0f
// v3 label; Finish turns the counts into the report's guess line.
func (e *Engines) fingerprintV3(p *fwlog.Packet, src *scan.Source) {
	r := e.memoized(p)
	if !r.ok {
		return
	}
	st := stateOf(src)
	i := 0
	for i < len(st.v3) && st.v3[i].label != r.guess.Label {
		i++
	}
	if i == len(st.v3) {
		st.v3 = append(st.v3, v3Count{label: r.guess.Label, why: matchKind(r.guess)})
	}
	st.v3[i].n++
	// The source's guess is the label most of its SYNs matched (ties: the
	// first to get there).
	if st.best < 0 || st.v3[i].n > st.v3[st.best].n {
		st.best = i
	}
}

// Finish writes the p0f v3 guess line ("<label> (p0f v3: n of m SYNs,
// ...)") of each of srcs, the sources of the batch that just ended, before
// a report is rendered. Only a packet of the batch changes a source's
// counts, so the other sources' lines stand, and without p0f v3 engines
// no counts change at all. Why not every tracked source, as before: the
// walk read each source's state once more, a cache miss apiece, 10-12 ms
// of -A on the 1M-line log with psad's pf.os, where nothing was to be
// done; and the daemon walked every source at every batch's end.
func (e *Engines) Finish(srcs []*scan.Source) {
	if e.P0F == nil {
		return
	}
	for _, src := range srcs {
		st := stateIn(src)
		if st == nil || st.best < 0 {
			continue
		}
		top := st.v3[st.best]
		st.os.Guesses = append(st.os.Guesses[:0], fmt.Sprintf("%s (p0f v3: %d of %d SYNs, %s)", top.label, top.n, total(st.v3), top.why))
	}
}

func total(l []v3Count) int {
	n := 0
	for _, c := range l {
		n += c.n
	}
	return n
}

func addGuess(src *scan.Source, g string) {
	gs := src.OSGuesses()
	i := sort.SearchStrings(gs, g)
	if i < len(gs) && gs[i] == g {
		return
	}
	gs = append(gs, "")
	copy(gs[i+1:], gs[i:])
	gs[i] = g
	src.MakeOS().Guesses = gs
}

// TopSigInfo names an id in "Top signature matches": psad's signature
// text and protocol if the id is one of psad's, else the fwsnort rule's.
func (e *Engines) TopSigInfo(id int) (msg, proto string, ok bool) {
	if e.Sigs != nil {
		if s := e.Sigs.Lookup(id); s != nil {
			return s.Msg, s.Proto, true
		}
	}
	if r, found := e.Rules[id]; found && r.Msg != "" {
		return r.Msg, r.Proto, true
	}
	return "", "", false
}

// DetailSigInfo names an id in IP Status Detail, where psad prefers the
// fwsnort rule text.
func (e *Engines) DetailSigInfo(id int) (msg, proto string, ok bool) {
	if r, found := e.Rules[id]; found && r.Msg != "" {
		return r.Msg, r.Proto, true
	}
	return e.TopSigInfo(id)
}

// ICMPTypeName is the report's name for an ICMP type.
func (e *Engines) ICMPTypeName(v6 bool, typ int) string {
	t := e.ICMP4
	if v6 {
		t = e.ICMP6
	}
	if t == nil {
		return fmt.Sprint(typ)
	}
	return t.TypeName(typ)
}

// isP0F3 reports whether a fingerprint file is in p0f v3 format (it has
// "[tcp:request]" sections) rather than pf.os.
func isP0F3(path string) bool {
	data, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(data), "[tcp:request]")
}

// matchKind says how good a p0f v3 match is, in p0f's terms.
func matchKind(g osfp.Guess) string {
	kind := "exact match"
	if g.Fuzzy {
		kind = "fuzzy match"
	}
	if g.Generic {
		kind += ", generic signature"
	}
	return fmt.Sprintf("%s, %d hops away", kind, g.Distance)
}

// fingerprintOf matches a SYN against the fingerprint database in use.
func (e *Engines) fingerprintOf(p *fwlog.Packet) fpResult {
	var r fpResult
	if e.P0F != nil {
		r.guess, r.ok = e.P0F.Best(p)
	} else if e.PF != nil && !p.IPv6 && len(p.TCPOpts) > 0 {
		r.pf = e.PF.AppendMatch(nil, p, e.MaxHops)
	}
	return r
}

// Imported is what psad's syslog says at start and at every HUP about the
// data files it read, in psad's order; nil-safe (no engines, no lines).
func (e *Engines) Imported() []string {
	if e == nil {
		return nil
	}
	var out []string
	if e.PF != nil || e.P0F != nil {
		out = append(out, "imported p0f-based passive OS fingerprinting signatures")
	}
	if e.Posf != nil {
		out = append(out, "imported TOS-based passive OS fingerprinting signatures")
	}
	if e.SnortRulesDir != "" {
		// psad reads classification.config while it imports the rules,
		// then logs the rules line (whether or not the directory holds
		// rules): classification first, as psad 2.4.6 does; the spec
		// has them the other way round.
		if e.Classification {
			out = append(out, "imported Snort classification.config")
		}
		out = append(out, "imported original Snort rules in "+e.SnortRulesDir+"/ for reference info")
	}
	if e.Sigs != nil {
		from := e.SigsFrom
		if from == "" {
			from = "psad-go's built-in set"
		}
		out = append(out, fmt.Sprintf("imported %d psad Snort signatures from %s", e.Sigs.Len(), from))
	}
	if e.ICMP4 != nil {
		out = append(out, "imported valid icmp types and codes")
	}
	if e.ICMP6 != nil {
		out = append(out, "imported valid icmp6 types and codes")
	}
	return out
}
