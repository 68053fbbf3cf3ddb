package osfp

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/psadgo/psad/internal/fwlog"
)

// Quirk is a set of p0f v3 quirks.
type Quirk uint32

// The p0f v3 quirks, in the order p0f prints them.
const (
	QuirkDF       Quirk = 1 << iota // df: IPv4 don't-fragment set
	QuirkIDPlus                     // id+: DF set, IP ID not zero
	QuirkIDMinus                    // id-: DF clear, IP ID zero
	QuirkECN                        // ecn: ECN in use
	QuirkMBZ                        // 0+: IPv4 must-be-zero bit set
	QuirkFlow                       // flow: IPv6 flow label not zero
	QuirkSeqZero                    // seq-: sequence number zero
	QuirkAckPlus                    // ack+: ACK number set without ACK flag
	QuirkAckMinus                   // ack-: ACK flag with ACK number zero
	QuirkUptrPlus                   // uptr+: urgent pointer set without URG
	QuirkURG                        // urgf+: URG flag
	QuirkPush                       // pushf+: PSH flag
	QuirkTS1Zero                    // ts1-: own timestamp zero
	QuirkTS2Plus                    // ts2+: peer timestamp set on a SYN
	QuirkOptPlus                    // opt+: non-zero bytes after EOL
	QuirkExWS                       // exws: window scale above 14
	QuirkBad                        // bad: malformed options
	numQuirks     = iota
)

var quirkNames = [numQuirks]string{
	"df", "id+", "id-", "ecn", "0+", "flow", "seq-", "ack+", "ack-",
	"uptr+", "urgf+", "pushf+", "ts1-", "ts2+", "opt+", "exws", "bad",
}

// String returns the quirks as p0f writes them, comma-separated.
func (q Quirk) String() string {
	var b strings.Builder
	for i, n := range quirkNames {
		if q&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

// quirkV4 are the quirks p0f ignores for IPv6 packets (and removes from
// version-'*' signatures); quirkV6 the one it ignores for IPv4.
const (
	quirkV4 = QuirkDF | QuirkIDPlus | QuirkIDMinus | QuirkMBZ
	quirkV6 = QuirkFlow
)

// Unobservable quirks: a LOG line does not carry the urgent pointer of a
// packet without URG in a form fwlog keeps, nor the IPv4 reserved ("CE")
// bit, so signatures are compared as if these quirks were unknown.
const quirkUnseen = QuirkMBZ | QuirkUptrPlus

// maxDist is p0f's MAX_DIST: a TTL further than this below the
// signature's initial TTL makes the match fuzzy.
const maxDist = 35

// Window size forms of a signature.
const (
	winNormal = iota
	winAny
	winMod
	winMSS
	winMTU
)

// P0F is a p0f v3 fingerprint database (p0f.fp format); only its
// [tcp:request] (SYN) signatures are used. It is read-only after loading
// and safe for concurrent use.
type P0F struct {
	labels []p0fLabel
	sigs   []p0fSig
	// byLayout lists, in file order, the signatures of each option layout
	// (p0f compares layouts exactly), so a SYN is compared only with the
	// few signatures that share its layout.
	byLayout map[string][]int
}

// layoutKey is the index key of a layout: the option kinds and the EOL
// padding.
func layoutKey(dst []byte, layout []byte, eolPad int) []byte {
	dst = append(dst, layout...)
	return append(dst, byte(min(eolPad, 255)))
}

type p0fLabel struct {
	generic bool
	class   string
	text    string // "<name> <flavor>", or "<name>" without a flavor
}

type p0fSig struct {
	line    int
	label   int
	ver     int8 // 0 for '*'
	ttl     int
	badTTL  bool // "64-": random TTL up to ttl
	olen    int
	mss     int // -1 for '*'
	winType uint8
	win     int
	scale   int // -1 for '*'
	layout  []byte
	eolPad  int
	quirks  Quirk
	pclass  int8 // -1 '*', 0, 1 '+'
	raw     string
	base    string       // "<file> line N (sig ...)"
	why     [2][2]string // [fuzzy TTL][fuzzy quirks]: Best's explanation
}

// Guess is one p0f v3 signature a packet matched.
type Guess struct {
	// Label is the signature's label as "<name> <flavor>" ("Linux 3.11
	// and newer"), or "<name>" when the flavor is empty.
	Label string
	// Class is p0f's class: "unix", "win", "other" and so on for
	// operating systems, "!" for applications and tools (nmap, masscan).
	Class string
	// Generic reports a 'g' (last resort) label.
	Generic bool
	// Fuzzy reports an inexact match: the TTL is above the signature's or
	// more than 35 below it, or the quirks differ only by df/id+ missing
	// or id-/ecn added (p0f's fuzzy rule).
	Fuzzy bool
	// Distance is the hop count: the signature's initial TTL minus the
	// packet's TTL, or, for fuzzy TTL matches and for signatures with a
	// random TTL ("64-"), the distance below the nearest of 32, 64, 128
	// and 255 at or above the TTL.
	Distance int
	// Line is the signature's line in the database.
	Line int
	// Why says which fields matched and how.
	Why string
}

// LoadP0F reads a p0f.fp file from path.
func LoadP0F(path string) (*P0F, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("p0f.fp: %w", err)
	}
	defer f.Close()
	return ParseP0F(f, path)
}

// ParseP0F reads a p0f v3 database from r; name is used in error
// messages, which give name:line. Blank lines and lines starting with
// ';' are comments. Inside [tcp:request], "label = type:class:name:flavor"
// and "sig = ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass" lines
// are checked as p0f checks them (p0f's README, "Fingerprint database");
// "sys" lines are accepted and ignored. Other sections ([tcp:response],
// [mtu], [http:*]) and "classes"/"ua_os" directives are skipped. Unlike
// p0f, a signature that repeats an earlier one is not an error.
func ParseP0F(r io.Reader, name string) (*P0F, error) {
	db := &P0F{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	inTCP := false
	label := -1
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == ';' {
			continue
		}
		fail := func(format string, a ...any) error {
			return fmt.Errorf("p0f.fp: %s:%d: %s", name, n, fmt.Sprintf(format, a...))
		}
		if line[0] == '[' {
			if line[len(line)-1] != ']' {
				return nil, fail("malformed section %q", line)
			}
			inTCP = line == "[tcp:request]"
			label = -1
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fail("want \"key = value\", got %q", line)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !inTCP {
			continue
		}
		switch key {
		case "label":
			l, err := parseLabel(val)
			if err != nil {
				return nil, fail("label %q: %v", val, err)
			}
			db.labels = append(db.labels, l)
			label = len(db.labels) - 1
		case "sig":
			if label < 0 {
				return nil, fail("sig before any label")
			}
			s, err := parseSig(val)
			if err != nil {
				return nil, fail("sig %q: %v", val, err)
			}
			s.line, s.label, s.raw = n, label, val
			s.setWhy(db.labels[label], name)
			db.sigs = append(db.sigs, s)
		case "sys", "classes", "ua_os":
		default:
			return nil, fail("unknown directive %q", key)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("p0f.fp: reading %s: %w", name, err)
	}
	db.byLayout = make(map[string][]int)
	for i := range db.sigs {
		k := string(layoutKey(nil, db.sigs[i].layout, db.sigs[i].eolPad))
		db.byLayout[k] = append(db.byLayout[k], i)
	}
	return db, nil
}

// Len returns the number of [tcp:request] signatures.
func (db *P0F) Len() int { return len(db.sigs) }

func parseLabel(v string) (p0fLabel, error) {
	f := strings.SplitN(v, ":", 4)
	if len(f) != 4 {
		return p0fLabel{}, errors.New("want type:class:name:flavor")
	}
	var l p0fLabel
	switch f[0] {
	case "s":
	case "g":
		l.generic = true
	default:
		return l, fmt.Errorf("type %q is neither s nor g", f[0])
	}
	if f[1] == "" || f[2] == "" {
		return l, errors.New("empty class or name")
	}
	l.class, l.text = f[1], f[2]
	if f[3] != "" {
		l.text += " " + f[3]
	}
	return l, nil
}

// sigField splits off the text up to sep.
func sigField(v *string, sep byte, what string) (string, error) {
	i := strings.IndexByte(*v, sep)
	if i < 0 {
		return "", fmt.Errorf("missing %s", what)
	}
	f := (*v)[:i]
	*v = (*v)[i+1:]
	return f, nil
}

// number parses all of f as a decimal in lo..hi.
func number(f string, lo, hi int, what string) (int, error) {
	if f == "" || len(f) > 6 || strings.Trim(f, "0123456789") != "" {
		return 0, fmt.Errorf("bad %s %q", what, f)
	}
	n, _ := strconv.Atoi(f)
	if n < lo || n > hi {
		return 0, fmt.Errorf("%s %d out of range %d..%d", what, n, lo, hi)
	}
	return n, nil
}

func parseSig(v string) (p0fSig, error) {
	s := p0fSig{}
	f, err := sigField(&v, ':', "version")
	if err != nil {
		return s, err
	}
	switch f {
	case "4":
		s.ver = 4
	case "6":
		s.ver = 6
	case "*":
	default:
		return s, fmt.Errorf("bad version %q", f)
	}
	if f, err = sigField(&v, ':', "ittl"); err != nil {
		return s, err
	}
	switch {
	case strings.HasSuffix(f, "-"):
		s.badTTL = true
		s.ttl, err = number(f[:len(f)-1], 1, 255, "ittl")
	case strings.Contains(f, "+"):
		a, b, _ := strings.Cut(f, "+")
		var add int
		if s.ttl, err = number(a, 1, 255, "ittl"); err == nil {
			if add, err = number(b, 0, 255, "ttl distance"); err == nil {
				if s.ttl += add; s.ttl > 255 {
					err = fmt.Errorf("ittl %s above 255", f)
				}
			}
		}
	default:
		s.ttl, err = number(f, 1, 255, "ittl")
	}
	if err != nil {
		return s, err
	}
	if f, err = sigField(&v, ':', "olen"); err != nil {
		return s, err
	}
	if s.olen, err = number(f, 0, 255, "olen"); err != nil {
		return s, err
	}
	if f, err = sigField(&v, ':', "mss"); err != nil {
		return s, err
	}
	if s.mss = -1; f != "*" {
		if s.mss, err = number(f, 0, 65535, "mss"); err != nil {
			return s, err
		}
	}
	if f, err = sigField(&v, ',', "wsize"); err != nil {
		return s, err
	}
	switch {
	case f == "*":
		s.winType = winAny
	case strings.HasPrefix(f, "%"):
		s.winType = winMod
		s.win, err = number(f[1:], 2, 65535, "window modulus")
	case strings.HasPrefix(f, "mss*"):
		s.winType = winMSS
		s.win, err = number(f[4:], 1, 1000, "mss multiplier")
	case strings.HasPrefix(f, "mtu*"):
		s.winType = winMTU
		s.win, err = number(f[4:], 1, 1000, "mtu multiplier")
	default:
		s.win, err = number(f, 0, 65535, "window")
	}
	if err != nil {
		return s, err
	}
	if f, err = sigField(&v, ':', "scale"); err != nil {
		return s, err
	}
	if s.scale = -1; f != "*" {
		if s.scale, err = number(f, 0, 255, "scale"); err != nil {
			return s, err
		}
	}
	if f, err = sigField(&v, ':', "olayout"); err != nil {
		return s, err
	}
	if s.layout, s.eolPad, err = parseLayout(f); err != nil {
		return s, err
	}
	if f, err = sigField(&v, ':', "quirks"); err != nil {
		return s, err
	}
	if s.quirks, err = parseQuirks(f, s.ver); err != nil {
		return s, err
	}
	switch v {
	case "*":
		s.pclass = -1
	case "0":
	case "+":
		s.pclass = 1
	default:
		return s, fmt.Errorf("bad payload class %q", v)
	}
	return s, nil
}

// maxLayout is p0f's MAX_TCP_OPT.
const maxLayout = 24

func parseLayout(f string) ([]byte, int, error) {
	if f == "" {
		return nil, 0, nil
	}
	items := strings.Split(f, ",")
	if len(items) > maxLayout {
		return nil, 0, fmt.Errorf("more than %d options", maxLayout)
	}
	var l []byte
	pad := 0
	for i, it := range items {
		var k byte
		switch {
		case it == "nop":
			k = OptNOP
		case it == "mss":
			k = OptMSS
		case it == "ws":
			k = OptWS
		case it == "sok":
			k = OptSACKOK
		case it == "sack":
			k = OptSACK
		case it == "ts":
			k = OptTS
		case strings.HasPrefix(it, "eol+"):
			if i != len(items)-1 {
				return nil, 0, errors.New("eol must be the last option")
			}
			n, err := number(it[4:], 0, 255, "eol padding")
			if err != nil {
				return nil, 0, err
			}
			k, pad = OptEOL, n
		case strings.HasPrefix(it, "?"):
			n, err := number(it[1:], 0, 255, "option kind")
			if err != nil {
				return nil, 0, err
			}
			k = byte(n)
		default:
			return nil, 0, fmt.Errorf("unknown option %q", it)
		}
		l = append(l, k)
	}
	return l, pad, nil
}

func parseQuirks(f string, ver int8) (Quirk, error) {
	if f == "" {
		return 0, nil
	}
	var q Quirk
	for _, it := range strings.Split(f, ",") {
		i := slices.Index(quirkNames[:], it)
		if i < 0 {
			return 0, fmt.Errorf("unknown quirk %q", it)
		}
		b := Quirk(1) << i
		if ver == 6 && b&quirkV4 != 0 || ver == 4 && b&quirkV6 != 0 {
			return 0, fmt.Errorf("quirk %q does not apply to IPv%d", it, ver)
		}
		q |= b
	}
	return q, nil
}

func (s *p0fSig) setWhy(l p0fLabel, file string) {
	s.base = fmt.Sprintf("%s line %d (sig %s)", file, s.line, s.raw)
	for t := 0; t < 2; t++ {
		for q := 0; q < 2; q++ {
			w := s.base
			switch {
			case t == 0 && q == 0:
				w += ": exact"
			case t == 1 && q == 1:
				w += ": fuzzy TTL and quirks"
			case t == 1:
				w += ": fuzzy TTL"
			default:
				w += ": fuzzy quirks"
			}
			if s.badTTL {
				w += ", random TTL"
			}
			if l.generic {
				w += ", generic"
			}
			s.why[t][q] = w
		}
	}
}

// synSig is what p0f computes from a SYN, taken from a LOG line.
type synSig struct {
	v6       bool
	ttl      int
	olen     int
	mss      int // 0 when absent, as in p0f
	ws       int // 0 when absent
	win      int
	layout   [maxOpts]byte
	nlayout  int
	eolPad   int
	quirks   Quirk
	known    Quirk // quirks the line lets us see
	pclass   int8
	winMulti int
	useMTU   bool
}

// guessDist is p0f's distance guess below the usual initial TTLs.
func guessDist(ttl int) int {
	switch {
	case ttl <= 32:
		return 32 - ttl
	case ttl <= 64:
		return 64 - ttl
	case ttl <= 128:
		return 128 - ttl
	}
	return 255 - ttl
}

// fill computes the packet's signature; it reports false for packets
// that are not SYNs without ACK or lack a TTL.
func (k *synSig) fill(p *fwlog.Packet) bool {
	if p.Proto != fwlog.ProtoTCP || !p.Flags.Has(fwlog.FlagSYN) || p.Flags.Has(fwlog.FlagACK) {
		return false
	}
	k.v6 = p.IPv6
	k.ttl = p.TTL
	if k.v6 {
		k.ttl = p.HopLimit
	}
	if k.ttl < 0 {
		return false
	}
	var s optScan
	s.decode(p.TCPOpts) // a malformed field still gives its layout, with QuirkBad
	k.nlayout = copyKinds(&k.layout, &s)
	k.eolPad, k.quirks = s.eolPad, s.quirks
	k.mss, k.ws = max(s.mss, 0), max(s.ws, 0)
	k.win = p.Window
	k.known = ^Quirk(0) &^ quirkUnseen
	ipHdr := 40
	if !k.v6 {
		k.olen = len(p.IPOpts) / 2
		ipHdr = 20 + k.olen
		if p.DF {
			k.quirks |= QuirkDF
			if p.IPID > 0 {
				k.quirks |= QuirkIDPlus
			}
		} else if p.IPID == 0 {
			k.quirks |= QuirkIDMinus
		}
		if p.IPID < 0 {
			k.known &^= QuirkIDPlus | QuirkIDMinus
		}
		if p.TOS > 0 && p.TOS&3 != 0 {
			k.quirks |= QuirkECN
		}
	} else {
		k.olen = 0
		if p.FlowLabel > 0 {
			k.quirks |= QuirkFlow
		}
		if p.FlowLabel < 0 {
			k.known &^= QuirkFlow
		}
		if p.TC > 0 && p.TC&3 != 0 {
			k.quirks |= QuirkECN
		}
	}
	if p.Flags&(fwlog.FlagECE|fwlog.FlagCWR) != 0 {
		k.quirks |= QuirkECN
	}
	if p.Flags.Has(fwlog.FlagURG) {
		k.quirks |= QuirkURG
	}
	if p.Flags.Has(fwlog.FlagPSH) {
		k.quirks |= QuirkPush
	}
	if p.TCPSeq < 0 {
		k.known &^= QuirkSeqZero
	} else if p.TCPSeq == 0 {
		k.quirks |= QuirkSeqZero
	}
	if p.TCPAck < 0 {
		k.known &^= QuirkAckPlus | QuirkAckMinus
	} else if p.TCPAck != 0 && !p.Flags.Has(fwlog.FlagRST) {
		k.quirks |= QuirkAckPlus
	}
	tcpHdr := 20 + len(p.TCPOpts)/2
	k.pclass = 0
	if p.IPLen > ipHdr+tcpHdr {
		k.pclass = 1
	}
	k.winMulti, k.useMTU = winMulti(k.win, s.mss, s.ts && s.tsval != 0, k.v6, ipHdr+tcpHdr)
	return true
}

func copyKinds(dst *[maxOpts]byte, s *optScan) int {
	for i := 0; i < s.n; i++ {
		dst[i] = s.opts[i].Kind
	}
	return s.n
}

// winMulti is p0f's detect_win_multi: whether the window is a multiple of
// the MSS (or of a usual MSS) or of the MTU, tried in p0f's order.
func winMulti(win, mss int, ts1, v6 bool, totHdr int) (int, bool) {
	if win <= 0 || mss < 100 {
		return -1, false
	}
	type div struct {
		d   int
		mtu bool
	}
	var cands [10]div
	n := 0
	add := func(d int, mtu bool) { cands[n] = div{d, mtu}; n++ }
	add(mss, false)
	if ts1 {
		add(mss-12, false) // some stacks subtract the timestamp option
	}
	add(1500-40, false) // MSS of a 1500-byte IPv4 MTU, with and without timestamps
	add(1500-40-12, false)
	if v6 {
		add(1500-60, false)
		add(1500-60-12, false)
	}
	add(mss+40, true)
	add(mss+totHdr, true)
	if v6 {
		add(mss+60, true)
	}
	add(1500, true)
	for _, c := range cands[:n] {
		if c.d > 0 && win%c.d == 0 {
			return win / c.d, c.mtu
		}
	}
	return -1, false
}

// result is how one signature matched.
type result struct {
	fuzzyTTL, fuzzyQuirks bool
	dist                  int
	deleted, added        Quirk
}

func (r result) fuzzy() bool { return r.fuzzyTTL || r.fuzzyQuirks }

// match compares a packet with one signature, p0f's tcp_find_match for
// one entry, plus the IP version check p0f leaves out.
func (s *p0fSig) match(k *synSig, class string) (result, bool) {
	var r result
	if s.ver == 4 && k.v6 || s.ver == 6 && !k.v6 {
		return r, false
	}
	if s.eolPad != k.eolPad || s.olen != k.olen || string(s.layout) != string(k.layout[:k.nlayout]) {
		return r, false
	}
	ref := s.quirks
	if s.ver == 0 {
		if k.v6 {
			ref &^= quirkV4
		} else {
			ref &^= quirkV6
		}
	}
	ref &= k.known
	got := k.quirks & k.known
	if ref != got {
		r.deleted, r.added = ref&^got, got&^ref
		if r.deleted&^(QuirkDF|QuirkIDPlus) != 0 || r.added&^(QuirkIDMinus|QuirkECN) != 0 {
			return r, false
		}
		r.fuzzyQuirks = true
	}
	if s.badTTL {
		if s.ttl < k.ttl {
			return r, false
		}
		r.dist = guessDist(k.ttl)
	} else if s.ttl < k.ttl || s.ttl-k.ttl > maxDist {
		r.fuzzyTTL = true
		r.dist = guessDist(k.ttl)
	} else {
		r.dist = s.ttl - k.ttl
	}
	if s.mss >= 0 && s.mss != k.mss || s.scale >= 0 && s.scale != k.ws ||
		s.pclass >= 0 && s.pclass != k.pclass {
		return r, false
	}
	switch s.winType {
	case winNormal:
		if s.win != k.win {
			return r, false
		}
	case winMod:
		if k.win < 0 || k.win%s.win != 0 {
			return r, false
		}
	case winMSS:
		if k.useMTU || s.win != k.winMulti {
			return r, false
		}
	case winMTU:
		if !k.useMTU || s.win != k.winMulti {
			return r, false
		}
	}
	if r.fuzzy() && class == "!" {
		return r, false // p0f: no fuzzy matching for userland tools
	}
	return r, true
}

// better reports whether a ranks before b: exact before fuzzy, specific
// before generic, nearer before farther, then file order.
func better(af, ag bool, ad, ai int, bf, bg bool, bd, bi int) bool {
	if af != bf {
		return !af
	}
	if ag != bg {
		return !ag
	}
	if ad != bd {
		return ad < bd
	}
	return ai < bi
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Best returns the best matching signature for a SYN, ranked as in Match,
// without allocating: its Why is a fixed summary ("<file> line N (sig
// ...): exact" and so on). ok is false when nothing matches or the packet
// is not a TCP SYN without ACK.
func (db *P0F) Best(p *fwlog.Packet) (Guess, bool) {
	var k synSig
	if !k.fill(p) {
		return Guess{}, false
	}
	bi := -1
	var br result
	var kb [maxOpts + 1]byte
	for _, i := range db.byLayout[string(layoutKey(kb[:0], k.layout[:k.nlayout], k.eolPad))] {
		s := &db.sigs[i]
		l := &db.labels[s.label]
		r, ok := s.match(&k, l.class)
		if !ok {
			continue
		}
		if bi < 0 || better(r.fuzzy(), l.generic, r.dist, i, br.fuzzy(), db.labels[db.sigs[bi].label].generic, br.dist, bi) {
			bi, br = i, r
		}
	}
	if bi < 0 {
		return Guess{}, false
	}
	s := &db.sigs[bi]
	g := db.guess(s, br)
	g.Why = s.why[b2i(br.fuzzyTTL)][b2i(br.fuzzyQuirks)]
	return g, true
}

func (db *P0F) guess(s *p0fSig, r result) Guess {
	l := &db.labels[s.label]
	return Guess{Label: l.text, Class: l.class, Generic: l.generic, Fuzzy: r.fuzzy(), Distance: r.dist, Line: s.line}
}

// Match fingerprints a SYN with p0f v3 semantics for [tcp:request]
// signatures and returns every matching signature, best first, with an
// explanation in Why. ok is false when nothing matches or the packet is
// not a TCP SYN without ACK.
//
// Fields compared, all taken from the LOG line: IP version ('*', 4, 6);
// initial TTL against TTL or HOPLIMIT (within 35 hops below, else a fuzzy
// match; "NN-" signatures only need TTL <= NN); olen, the IPv4 options
// length (half the IPv4 "OPT (...)" hex, 0 for IPv6); MSS; window (a
// value, "*", "%N", "mss*N" or "mtu*N" by p0f's multiple detection);
// window scale; option layout including "eol+N"; quirks; payload class
// (LEN minus headers). Quirks seen: df, id+, id- (IPv4 DF and ID), ecn
// (TCP ECE/CWR; IPv6 TC and IPv4 TOS low bits when non-zero, though the
// kernel masks them out of TOS=), flow (IPv6 FLOWLBL), seq-, ack+ (only
// when --log-tcp-sequence put SEQ=/ACK= in the line; unknown otherwise),
// urgf+, pushf+ and the option quirks ts1-, ts2+, opt+, exws, bad. 0+ and
// uptr+ cannot be seen in a LOG line and are ignored on both sides. As in
// p0f, quirks may differ by df/id+ missing or id-/ecn added for a fuzzy
// match, and fuzzy matches are not allowed for application signatures
// (class '!').
//
// Ranking: exact before fuzzy, specific before generic (p0f uses generic
// ones only without a specific match), smaller distance, then file
// order. p0f itself stops at the first specific exact match in file
// order; the ranking gives the same winner for non-overlapping databases.
func (db *P0F) Match(p *fwlog.Packet) (best Guess, all []Guess, ok bool) {
	var k synSig
	if !k.fill(p) {
		return Guess{}, nil, false
	}
	type hit struct {
		i int
		r result
	}
	var hits []hit
	for i := range db.sigs {
		s := &db.sigs[i]
		if r, ok := s.match(&k, db.labels[s.label].class); ok {
			hits = append(hits, hit{i, r})
		}
	}
	if len(hits) == 0 {
		return Guess{}, nil, false
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		ga, gb := db.labels[db.sigs[a.i].label].generic, db.labels[db.sigs[b.i].label].generic
		if better(a.r.fuzzy(), ga, a.r.dist, a.i, b.r.fuzzy(), gb, b.r.dist, b.i) {
			return -1
		}
		if better(b.r.fuzzy(), gb, b.r.dist, b.i, a.r.fuzzy(), ga, a.r.dist, a.i) {
			return 1
		}
		return 0
	})
	all = make([]Guess, len(hits))
	for j, h := range hits {
		s := &db.sigs[h.i]
		g := db.guess(s, h.r)
		g.Why = s.explain(&k, h.r, g.Generic)
		all[j] = g
	}
	if len(all) > 1 {
		all[0].Why += fmt.Sprintf("; best of %d matches (exact before fuzzy, specific before generic, then smaller distance, then file order)", len(all))
	}
	return all[0], all, true
}

// explain writes the detailed Why of a match.
func (s *p0fSig) explain(k *synSig, r result, generic bool) string {
	var b strings.Builder
	b.WriteString(s.base)
	if r.fuzzy() {
		b.WriteString(": fuzzy")
	} else {
		b.WriteString(": exact")
	}
	switch {
	case s.badTTL:
		fmt.Fprintf(&b, "; TTL %d <= %d (random TTL), distance %d guessed", k.ttl, s.ttl, r.dist)
	case r.fuzzyTTL:
		fmt.Fprintf(&b, "; TTL %d not within %d..%d, distance %d guessed", k.ttl, s.ttl-maxDist, s.ttl, r.dist)
	default:
		fmt.Fprintf(&b, "; TTL %d = ittl %d - %d hops", k.ttl, s.ttl, r.dist)
	}
	switch s.winType {
	case winAny:
		fmt.Fprintf(&b, "; window %d (any)", k.win)
	case winMod:
		fmt.Fprintf(&b, "; window %d = %%%d", k.win, s.win)
	case winMSS:
		fmt.Fprintf(&b, "; window %d = mss*%d", k.win, s.win)
	case winMTU:
		fmt.Fprintf(&b, "; window %d = mtu*%d", k.win, s.win)
	default:
		fmt.Fprintf(&b, "; window %d", k.win)
	}
	if s.mss >= 0 {
		fmt.Fprintf(&b, "; mss %d", k.mss)
	}
	if s.scale >= 0 {
		fmt.Fprintf(&b, "; scale %d", k.ws)
	}
	fmt.Fprintf(&b, "; olayout %q", layoutText(s.layout, s.eolPad))
	if r.fuzzyQuirks {
		if r.deleted != 0 {
			fmt.Fprintf(&b, "; quirks missing: %s", r.deleted)
		}
		if r.added != 0 {
			fmt.Fprintf(&b, "; quirks extra: %s", r.added)
		}
	} else if q := s.quirks & k.known; q != 0 {
		fmt.Fprintf(&b, "; quirks %s", q)
	}
	if u := s.quirks &^ k.known; u != 0 {
		fmt.Fprintf(&b, "; not visible in the log, ignored: %s", u)
	}
	if generic {
		b.WriteString("; generic signature")
	}
	return b.String()
}

func layoutText(l []byte, pad int) string {
	parts := make([]string, len(l))
	for i, k := range l {
		parts[i] = layoutName(k, pad)
	}
	return strings.Join(parts, ",")
}

//go:embed default.fp
var defaultText string

var defaultP0F = sync.OnceValue(func() *P0F {
	db, err := ParseP0F(strings.NewReader(defaultText), "default.fp")
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return db
})

// DefaultP0F returns the built-in database (default.fp in this package):
// a small set of SYN signatures for current Linux, Android, Windows,
// macOS/iOS and FreeBSD, and for nmap's and masscan's probes. Its labels
// are the strings Guess.Label reports:
//
//	Linux 4.19-6.x, Linux 3.11-4.18, Linux 3.0-3.10, Linux (loopback),
//	Android (or Linux with large receive buffers), Linux,
//	Windows 10/11, Windows 7/8, Windows,
//	macOS/iOS, FreeBSD 9 or newer, FreeBSD,
//	nmap SYN scan, nmap OS detection probe, masscan SYN scan
//
// The same *P0F is returned on every call.
func DefaultP0F() *P0F { return defaultP0F() }

// DefaultText is the built-in p0f v3 database as a file.
func DefaultText() []byte { return []byte(defaultText) }
