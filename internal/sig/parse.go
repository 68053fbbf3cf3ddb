package sig

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/psadgo/psad/internal/fwlog"
)

// Keyword lists. psad recognises its range keywords in any case and the
// others only as written (spec 9.2).
var (
	// rangeKeywords are matched case-insensitively.
	rangeKeywords = map[string]bool{
		"dsize": true, "psad_dsize": true, "psad_ip_len": true, "ttl": true,
		"id": true, "ipopts": true, "seq": true, "ack": true, "window": true,
		"itype": true, "icode": true, "icmp_seq": true, "icmp_id": true,
	}
	// otherKeywords are matched as written.
	otherKeywords = map[string]bool{
		"msg": true, "psad_id": true, "sid": true, "psad_dl": true,
		"classtype": true, "reference": true, "psad_derived_sids": true,
		"sameip": true, "flags": true, "flow": true,
	}
	// ignoredKeywords are accepted and ignored by design: they describe
	// the rule (rev, gid, metadata, priority) or modify a payload match
	// that a rule we accept cannot have (depth, nocase, ...), so ignoring
	// them never changes what a signature matches. psad ignores them too.
	// flow values other than established are ignored the same way.
	ignoredKeywords = map[string]bool{
		"rev": true, "gid": true, "metadata": true, "priority": true,
		"depth": true, "nocase": true, "fast_pattern": true,
	}
)

// option is one keyword[:value] item of a rule's options.
type option struct {
	key, val string
	hasVal   bool
	atStart  bool // the very first bytes of the options text
}

// splitOptions splits the text between "(" and ")" into options. A ";"
// inside double quotes or after a backslash does not end an option.
func splitOptions(s string) []option {
	var opts []option
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ';') {
			i++
		}
		if i >= len(s) {
			return opts
		}
		o := option{atStart: i == 0}
		j := i
		for j < len(s) && s[j] != ':' && s[j] != ';' {
			j++
		}
		o.key = strings.TrimSpace(s[i:j])
		i = j
		if i < len(s) && s[i] == ':' {
			o.hasVal = true
			i++
			start := i
			quoted := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					i += 2
					continue
				}
				if c == '"' {
					quoted = !quoted
				} else if c == ';' && !quoted {
					break
				}
				i++
			}
			o.val = strings.TrimSpace(s[start:i])
		}
		opts = append(opts, o)
	}
}

// unescape removes Snort's backslash escapes (\" \; \\ \:).
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unquote returns the text of a "quoted" value, unescaped.
func unquote(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || v[len(v)-2] == '\\' && !strings.HasSuffix(v, `\\"`) {
		return "", false
	}
	return unescape(v[1 : len(v)-1]), true
}

type parser struct {
	name   string
	o      Options
	warns  []Warning
	sigs   []*Sig
	ids    map[int]int // psad_id or sid -> line
	maxID  int
	optTab optTable
}

func newParser(name string, o Options) *parser {
	return &parser{name: name, o: o, ids: make(map[int]int), optTab: newOptTable(o.IPOpts)}
}

func (p *parser) warn(line int, format string, args ...any) {
	p.warns = append(p.warns, Warning{p.name, line, fmt.Sprintf(format, args...)})
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return &ParseError{p.name, line, fmt.Sprintf(format, args...)}
}

// maxLine bounds one signature line; psad's shipped lines are under 1 KB.
const maxLine = 1 << 20

func (p *parser) run(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimRight(sc.Text(), "\r")
		t := strings.TrimLeft(line, " \t")
		if t == "" || t[0] == '#' {
			continue
		}
		if err := p.line(line, ln); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	return nil
}

// skipOrFail rejects the signature on line ln: an error when Strict,
// else a warning and the signature is skipped (ENABLE_SNORT_SIG_STRICT).
func (p *parser) skipOrFail(ln int, msg string) error {
	if p.o.Strict {
		return p.errorf(ln, "%s", msg)
	}
	p.warn(ln, "%s; signature skipped", msg)
	return nil
}

// line parses one signature line (spec 9.1).
func (p *parser) line(line string, ln int) error {
	open := -1
	for i := 1; i < len(line); i++ {
		if line[i] == '(' && (line[i-1] == ' ' || line[i-1] == '\t') {
			open = i
			break
		}
	}
	if open < 0 {
		return p.errorf(ln, "bad signature: no \" (\" before the options")
	}
	closing := strings.LastIndexByte(line, ')')
	if closing < open {
		return p.errorf(ln, "bad signature: no \")\" after the options")
	}
	hdr := strings.Fields(line[:open])
	if len(hdr) < 7 || hdr[0] != "alert" {
		return p.errorf(ln, "bad signature header %q: want \"alert <proto> <src> <sport> <dir> <dst> <dport>\"", strings.TrimSpace(line[:open]))
	}
	s := &Sig{Line: ln, File: p.name, Proto: strings.ToLower(hdr[1])}
	switch s.Proto {
	case "tcp":
		s.c.proto = protoTCP
	case "udp":
		s.c.proto = protoUDP
	case "icmp":
		s.c.proto = protoICMP
	case "ip":
		s.c.proto = protoIP
	default:
		return p.errorf(ln, "unknown protocol %q", hdr[1])
	}
	dir := hdr[4]
	if dir != "->" && dir != "<-" && dir != "<>" {
		return p.errorf(ln, "bad direction %q", dir)
	}

	opts := splitOptions(line[open+1 : closing])
	// Unsupported options first: they decide whether the rule is loaded.
	// Any keyword in none of the accepted lists is unsupported; that covers
	// psad's own list of Snort options it cannot evaluate (spec 9.1: pcre,
	// content, byte_test, flowbits, ...) and anything newer.
	for _, o := range opts {
		if o.atStart && o.key != "msg" && p.o.PsadCompat {
			continue
		}
		k := o.key
		if rangeKeywords[strings.ToLower(k)] || otherKeywords[k] || ignoredKeywords[strings.ToLower(k)] {
			continue
		}
		return p.skipOrFail(ln, fmt.Sprintf("unsupported rule option %q", k))
	}

	var (
		haveMsg, haveDL, haveID, haveSID bool
		sid, psadID                      int
		flagsVal                         string
		haveFlags, established           bool
		dl                               int
		seen                             = map[string]bool{}
	)
	var dsizeChecks []check
	for _, o := range opts {
		key := o.key
		if lk := strings.ToLower(key); rangeKeywords[lk] {
			key = lk
		}
		if o.atStart && key != "msg" && p.o.PsadCompat {
			// psad only sees an option after a blank or ";" (spec 9.1).
			p.warn(ln, "option %q at the start of the options is ignored (psad compatibility)", o.key)
			continue
		}
		if ignoredKeywords[strings.ToLower(key)] {
			continue
		}
		if key != "reference" && seen[key] {
			continue // the first one wins, as with psad's patterns
		}
		seen[key] = true
		needVal := func() error {
			if !o.hasVal || o.val == "" {
				return p.errorf(ln, "%s: missing value", key)
			}
			return nil
		}
		switch key {
		case "msg":
			m, ok := unquote(o.val)
			if !ok {
				return p.errorf(ln, "msg: want a quoted string, have %q", o.val)
			}
			s.Msg, haveMsg = m, true
		case "psad_id", "sid":
			if err := needVal(); err != nil {
				return err
			}
			n, ok := parseNum(o.val)
			if !ok || n == 0 || n > 1<<31-1 {
				return p.errorf(ln, "%s: bad number %q", key, o.val)
			}
			if key == "sid" {
				sid, haveSID = int(n), true
			} else {
				psadID, haveID = int(n), true
			}
		case "psad_dl":
			n, ok := parseNum(o.val)
			if !ok || n > 5 {
				return p.errorf(ln, "psad_dl: want 0..5, have %q", o.val)
			}
			dl, haveDL = int(n), true
		case "classtype":
			s.Classtype = strings.TrimSpace(unescape(o.val))
		case "reference":
			typ, val, _ := strings.Cut(unescape(o.val), ",")
			s.Refs = append(s.Refs, Ref{strings.TrimSpace(typ), strings.TrimSpace(val)})
		case "psad_derived_sids":
			for f := range strings.SplitSeq(o.val, ",") {
				n, ok := parseNum(strings.TrimSpace(f))
				if !ok || n > 1<<31-1 {
					return p.errorf(ln, "psad_derived_sids: bad number %q", f)
				}
				s.DerivedSIDs = append(s.DerivedSIDs, int(n))
			}
		case "sameip":
			s.c.sameip = true
		case "flags":
			if err := needVal(); err != nil {
				return err
			}
			flagsVal, haveFlags = o.val, true
		case "flow":
			for f := range strings.SplitSeq(o.val, ",") {
				if strings.TrimSpace(f) == "established" {
					established = true
				}
			}
		case "ipopts":
			if err := needVal(); err != nil {
				return err
			}
			v := strings.ToLower(o.val)
			s.c.ipopts = true
			s.text.ipopts = strings.TrimSpace(o.val)
			if v == "any" {
				s.c.ipoptsAny = true
			} else if m, ok := p.optTab.kw[v]; ok {
				s.c.ipoptMask = m
			} else {
				return p.errorf(ln, "ipopts: unknown option %q", o.val)
			}
		default:
			f, ok := rangeFields[key]
			if !ok {
				return p.errorf(ln, "unsupported rule option %q", o.key) // not reached
			}
			if err := needVal(); err != nil {
				return err
			}
			b := f.b
			b.name = key
			ns, err := buildRange(o.val, b, p.o.Vars, p.o.PsadCompat)
			if err != nil {
				return p.errorf(ln, "%v", err)
			}
			if !applies(f.proto, s.c.proto) {
				p.warn(ln, "%s has no effect in a %s signature", key, s.Proto)
				continue
			}
			c := check{f: f.f, set: ns, text: key + ":" + strings.TrimSpace(o.val)}
			if f.f == fDsize {
				dsizeChecks = append(dsizeChecks, c)
				continue
			}
			if f.proto == protoIP {
				s.c.ipChecks = append(s.c.ipChecks, c)
			} else {
				s.c.protoChecks = append(s.c.protoChecks, c)
			}
		}
	}
	s.c.protoChecks = append(s.c.protoChecks, dsizeChecks...)
	if haveFlags {
		if s.c.proto != protoTCP {
			p.warn(ln, "flags has no effect in a %s signature", s.Proto)
		} else {
			s.c.flagsMode, s.c.flags = convertFlags(flagsVal, established, !p.o.PsadCompat)
			s.text.flags = strings.TrimSpace(flagsVal)
		}
	}
	if !haveMsg {
		return p.errorf(ln, "missing msg")
	}
	if !haveID {
		return p.skipOrFail(ln, "missing psad_id")
	}
	if prev, dup := p.ids[psadID]; dup {
		return p.errorf(ln, "duplicate id %d (also used on line %d)", psadID, prev)
	}
	if prev, dup := p.ids[sid]; haveSID && sid != psadID && dup {
		return p.errorf(ln, "duplicate id %d (also used on line %d)", sid, prev)
	}
	p.ids[psadID] = ln
	if haveSID {
		p.ids[sid] = ln
	}
	p.maxID = max(p.maxID, psadID, sid)
	s.psadID = psadID
	if haveSID {
		s.ID = sid
	} else {
		s.ID, s.PsadID = psadID, true
	}

	if err := p.header(s, hdr, ln); err != nil {
		return err
	}

	switch {
	case haveDL:
		s.DL = dl
	default:
		s.DL = 2
		if d, ok := p.o.ClassDL[s.Classtype]; ok && s.Classtype != "" {
			s.DL = d
		}
	}
	if d, ok := p.o.RuleDL[s.ID]; ok {
		s.DL = d
	}
	p.sigs = append(p.sigs, s)
	return nil
}

// header compiles the address, port and direction fields into the
// signature's orientations (packet source side, packet destination side).
func (p *parser) header(s *Sig, hdr []string, ln int) error {
	var src, dst addrSet
	var sp, dp numSet
	var err error
	for _, f := range []struct {
		val  string
		set  *addrSet
		what string
	}{{hdr[2], &src, "source"}, {hdr[5], &dst, "destination"}} {
		if p.o.PsadCompat {
			*f.set, err = parseAddrsCompat(f.val, p.o.Vars)
		} else {
			var w string
			*f.set, w, err = parseAddrs(f.val, p.o.Vars)
			if w != "" {
				p.warn(ln, "%s %s", f.what, w)
			}
		}
		if err != nil {
			return p.errorf(ln, "%s: %v", f.what, err)
		}
	}
	for _, f := range []struct {
		val  string
		set  *numSet
		what string
	}{{hdr[3], &sp, "source port"}, {hdr[6], &dp, "destination port"}} {
		if p.o.PsadCompat {
			b := bPort
			b.name = f.what
			if *f.set, err = buildRange(f.val, b, p.o.Vars, true); err != nil {
				return p.errorf(ln, "%v", err)
			}
		} else if *f.set, err = parsePorts(f.val, p.o.Vars); err != nil {
			return p.errorf(ln, "%s: %v", f.what, err)
		}
		if s.c.proto != protoTCP && s.c.proto != protoUDP && !f.set.isAnyPort() {
			p.warn(ln, "%s has no effect in a %s signature", f.what, s.Proto)
		}
	}
	c := &s.c
	defer func() {
		for i := range c.or[:c.nor] {
			o := &c.or[i]
			o.anyAddr = o.src.all && len(o.src.neg) == 0 && !o.src.none &&
				o.dst.all && len(o.dst.neg) == 0 && !o.dst.none
		}
	}()
	fwd := orientText{src: hdr[2], sp: hdr[3], dst: hdr[5], dp: hdr[6]}
	rev := orientText{src: hdr[5], sp: hdr[6], dst: hdr[2], dp: hdr[3]}
	switch dir := hdr[4]; {
	case dir == "->" || dir == "<>" && p.o.PsadCompat:
		c.or[0] = orient{src: src, dst: dst, sp: sp, dp: dp}
		s.text.or[0] = fwd
		c.nor = 1
	case dir == "<-" && p.o.PsadCompat:
		// psad swaps the addresses only (spec 9.1, quirk #11).
		c.or[0] = orient{src: dst, dst: src, sp: sp, dp: dp}
		s.text.or[0] = orientText{src: hdr[5], sp: hdr[3], dst: hdr[2], dp: hdr[6]}
		c.nor = 1
	case dir == "<-":
		c.or[0] = orient{src: dst, dst: src, sp: dp, dp: sp}
		s.text.or[0] = rev
		c.nor = 1
	default: // "<>"
		c.or[0] = orient{src: src, dst: dst, sp: sp, dp: dp}
		c.or[1] = orient{src: dst, dst: src, sp: dp, dp: sp}
		s.text.or = [2]orientText{fwd, rev}
		c.nor = 2
	}
	return nil
}

// convertFlags turns a flags: value into the exact flag set psad compares
// with (spec 9.4): the letters UAPRSF, N for "no flags", ACK added by
// flow:established; everything else ignored. A value without any of the
// letters never matches in psad, which leaves "SCAN NULL" (flags:0) dead;
// with snort set, "0" has Snort's meaning, no flags, so NULL scans are
// seen.
func convertFlags(v string, established, snort bool) (flagsMode, fwlog.TCPFlags) {
	var f fwlog.TCPFlags
	null := false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case 'U':
			f |= fwlog.FlagURG
		case 'A':
			f |= fwlog.FlagACK
		case 'P':
			f |= fwlog.FlagPSH
		case 'R':
			f |= fwlog.FlagRST
		case 'S':
			f |= fwlog.FlagSYN
		case 'F':
			f |= fwlog.FlagFIN
		case 'N':
			null = true
		}
	}
	if established {
		f |= fwlog.FlagACK
	}
	switch {
	case null, snort && f == 0 && strings.IndexByte(v, '0') >= 0:
		return flagsExact, 0
	case f == 0:
		return flagsNever, 0
	}
	return flagsExact, f
}

// rangeFields maps the range keywords to the packet field they test, the
// protocol they apply to (protoIP: every protocol, IPv4 only) and their
// default bounds.
var rangeFields = map[string]struct {
	f     field
	proto uint8
	b     bounds
}{
	"ttl":         {fTTL, protoIP, bTTL},
	"id":          {fIPID, protoIP, bID},
	"psad_ip_len": {fIPLen, protoIP, bIPLen},
	"window":      {fWindow, protoTCP, bWindow},
	"seq":         {fSeq, protoTCP, bSeq},
	"ack":         {fAck, protoTCP, bSeq},
	"itype":       {fIType, protoICMP, bICMP},
	"icode":       {fICode, protoICMP, bICMP},
	"icmp_seq":    {fICMPSeq, protoICMP, bICMPID},
	"icmp_id":     {fICMPID, protoICMP, bICMPID},
	"dsize":       {fDsize, protoAnyL4, bDsize},
	"psad_dsize":  {fDsize, protoAnyL4, bDsize},
}

// applies reports whether a keyword for protocol kw is evaluated in a
// signature of protocol sp (spec 9.6): IP-layer keywords always, dsize
// for tcp, udp and icmp, the others for their own protocol only.
func applies(kw, sp uint8) bool {
	switch kw {
	case protoIP:
		return true
	case protoAnyL4:
		return sp != protoIP
	}
	return kw == sp
}

func (p *parser) build() *Set {
	s := &Set{sigs: p.sigs, byID: make(map[int]*Sig, len(p.sigs)), maxID: p.maxID, optTab: p.optTab, exactDsize: !p.o.PsadCompat}
	byID := slices.Clone(p.sigs)
	slices.SortFunc(byID, func(a, b *Sig) int { return a.ID - b.ID })
	var tcp, udp, icmp []*Sig
	for _, g := range byID {
		s.byID[g.ID] = g
		switch g.c.proto {
		case protoTCP:
			tcp = append(tcp, g)
		case protoUDP:
			udp = append(udp, g)
		case protoICMP:
			icmp = append(icmp, g)
		case protoIP:
			switch {
			case g.c.ipopts:
				s.ipOpts.add(g)
			case g.c.sameip:
				s.ipSame.add(g)
			default:
				s.ip.add(g)
			}
		}
	}
	s.tcp.build(tcp)
	s.udp.build(udp)
	s.icmp.build(icmp)
	return s
}
