package osfp

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/psadgo/psad/internal/fwlog"
)

// PFDB is a pf.os (p0f v2 / OpenBSD) signature file as psad's p0f method
// uses it (P0F_FILE, import_p0f_ipv4_sigs and p0f_ipv4). It is read-only
// after loading and safe for concurrent use.
type PFDB struct {
	sigs []pfSig
	// bySize lists, in file order, the signatures whose size field is
	// one exact number, by that number; anySize the others. Why: every
	// SYN with options is compared with the file, and most signatures
	// name an exact IP length, so a packet need only look at those of
	// its length (a quarter of psad's file) and the rest.
	bySize  map[int][]int32
	anySize []int32
	// Lines is the number of signature lines kept (window 'T' lines and
	// lines psad's pattern rejects are not counted).
	lines int
}

// pfSig is one distinct window:ttl:df:size:options key with the OS texts
// of every line that carries it, in file order.
type pfSig struct {
	size pfNum
	df   string
	ttl  float64
	win  pfNum
	opts []pfItem
	os   []string
}

// pfNum is a compiled size or window field.
type pfNum struct {
	kind uint8 // pfAny, pfMod, pfMSS, pfEq
	n    uint64
	f    float64 // pfEq: Perl's numeric value of the field
}

const (
	pfAny = iota
	pfMod
	pfMSS
	pfEq
)

// pfItem is one compiled option item. kind 0 is an item psad does not
// check (".", "E", "?n", or anything not starting with N M W S T).
type pfItem struct {
	kind  byte
	check uint8 // pfNone, pfItemEq, pfItemMod, pfItemT0
	n     uint64
}

const (
	pfNone = iota
	pfItemEq
	pfItemMod
	pfItemT0
)

// pfLine is psad's pattern for a signature line, five colon-terminated
// fields and blanks before the OS text.
var pfLine = regexp.MustCompile(`^(\S+?):(\S+?):(\S+?):(\S+?):(\S+?):\s+(.*)`)

// LoadPF reads a pf.os file from path.
func LoadPF(path string) (*PFDB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pf.os: %w", err)
	}
	defer f.Close()
	return ParsePF(f, path)
}

// ParsePF reads a pf.os file from r; name is used in error messages.
// Lines are read as psad reads them: '#' comments and blank lines are
// skipped, a line must match psad's pattern (five colon-terminated
// fields, blanks, the OS text kept whole, e.g. "Linux:2.6:8:Linux 2.6.8
// and newer (?)"), lines whose window field contains 'T' are dropped,
// and every other line is kept; psad never rejects the file. A trailing
// carriage return is removed first. Only a read error is returned.
func ParsePF(r io.Reader, name string) (*PFDB, error) {
	db := &PFDB{}
	index := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if isComment(line) {
			continue
		}
		m := pfLine.FindStringSubmatch(line)
		if m == nil || strings.Contains(m[1], "T") {
			continue
		}
		db.lines++
		key := strings.Join(m[1:6], ":")
		i, ok := index[key]
		if !ok {
			i = len(db.sigs)
			index[key] = i
			db.sigs = append(db.sigs, compilePF(m[1], m[2], m[3], m[4], m[5]))
		}
		s := &db.sigs[i]
		if !containsString(s.os, m[6]) {
			s.os = append(s.os, m[6])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pf.os: reading %s: %w", name, err)
	}
	db.index()
	return db, nil
}

func (db *PFDB) index() {
	db.bySize = map[int][]int32{}
	for i := range db.sigs {
		n := db.sigs[i].size
		if v := int(n.f); n.kind == pfEq && float64(v) == n.f {
			db.bySize[v] = append(db.bySize[v], int32(i))
		} else {
			db.anySize = append(db.anySize, int32(i))
		}
	}
}

// Len returns the number of signature lines psad would keep.
func (db *PFDB) Len() int { return db.lines }

// isComment is psad's test for lines to skip: /^\s*#/ or no non-blank.
func isComment(line string) bool {
	t := strings.TrimLeft(line, " \t\n\r\f\v")
	return t == "" || t[0] == '#'
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func compilePF(win, ttl, df, size, opts string) pfSig {
	s := pfSig{df: df, ttl: perlNum(ttl)}
	s.size = compileNum(size, false)
	s.win = compileNum(win, true)
	items := strings.Split(opts, ",")
	for len(items) > 0 && items[len(items)-1] == "" { // Perl's split drops trailing empty fields
		items = items[:len(items)-1]
	}
	for _, it := range items {
		s.opts = append(s.opts, compileItem(it))
	}
	return s
}

// compileNum follows psad's order of tests: "*", /^%(\d+)/, for windows
// /^S(\d+)/, else a numeric comparison.
func compileNum(f string, window bool) pfNum {
	switch {
	case f == "*":
		return pfNum{kind: pfAny}
	case len(f) > 1 && f[0] == '%' && isDigit(f[1]):
		return pfNum{kind: pfMod, n: digits(f[1:])}
	case window && len(f) > 1 && f[0] == 'S' && isDigit(f[1]):
		return pfNum{kind: pfMSS, n: digits(f[1:])}
	}
	return pfNum{kind: pfEq, f: perlNum(f)}
}

func compileItem(it string) pfItem {
	if it == "" || !strings.ContainsRune("NMWST", rune(it[0])) {
		return pfItem{}
	}
	p := pfItem{kind: it[0]}
	switch p.kind {
	case 'M', 'W':
		// psad: /M(\d+)/ first, then /M\%(\d+)/, anywhere in the item.
		if n, ok := after(it, string(p.kind)); ok {
			p.check, p.n = pfItemEq, n
		} else if n, ok := after(it, string(p.kind)+"%"); ok {
			p.check, p.n = pfItemMod, n
		}
	case 'T':
		if strings.Contains(it, "T0") {
			p.check = pfItemT0
		}
	}
	return p
}

// after finds the leftmost prefix followed by a digit in s and returns
// the number those digits spell.
func after(s, prefix string) (uint64, bool) {
	for i := 0; i+len(prefix) < len(s); i++ {
		if strings.HasPrefix(s[i:], prefix) && isDigit(s[i+len(prefix)]) {
			return digits(s[i+len(prefix):]), true
		}
	}
	return 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits returns the value of the leading digits of s, saturating.
func digits(s string) uint64 {
	var n uint64
	for i := 0; i < len(s) && isDigit(s[i]); i++ {
		d := uint64(s[i] - '0')
		if n > (^uint64(0)-d)/10 {
			return ^uint64(0)
		}
		n = n*10 + d
	}
	return n
}

// perlNum is Perl's numeric value of a string: leading blanks, a sign,
// digits, a fraction and an exponent, as far as they go; 0 otherwise.
func perlNum(s string) float64 {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\r\f\v", s[i]) >= 0 {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	d := j
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j == d || j == d+1 && s[d] == '.' {
		return 0
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	f, _ := strconv.ParseFloat(s[i:j], 64) // valid by construction; huge values give ±Inf
	return f
}

// Match returns the OS texts of every signature the packet matches, as
// psad's p0f_ipv4 adds them to the source's guesses: exactly the pf.os
// text, e.g. "Linux:2.6:8:Linux 2.6.8 and newer (?)" or
// "@Windows:XP::Windows XP/2000" (a leading '@' marks pf.os generic
// entries). Each text appears once, in the file order of the signatures.
// maxHops is psad's MAX_HOPS (default 20).
//
// Only IPv4 TCP packets with SYN among their flags and a non-empty
// options field are fingerprinted (psad's IPv6 variant is empty); nil is
// returned for others. Matching follows spec 11.2: size ("*", "%N" or
// equal to LEN), DF ("*" or the DF bit as "0"/"1"), TTL in
// (ttl-maxHops, ttl], window ("*", "%N", "SN" = N times the MSS of the
// first option only, or equal), and the option items position by
// position against psad's own option list (see PsadOptionList).
func (db *PFDB) Match(p *fwlog.Packet, maxHops int) []string {
	return db.AppendMatch(nil, p, maxHops)
}

// AppendMatch is Match appending to dst, which lets a caller reuse one
// buffer so that matching does not allocate.
func (db *PFDB) AppendMatch(dst []string, p *fwlog.Packet, maxHops int) []string {
	if p.IPv6 || p.Proto != fwlog.ProtoTCP || !p.Flags.Has(fwlog.FlagSYN) || len(p.TCPOpts) == 0 {
		return dst
	}
	var buf [maxOpts]psadOpt
	opts := psadDecode(p.TCPOpts, buf[:0])
	df := "0"
	if p.DF {
		df = "1"
	}
	ttl, ipLen, win := float64(p.TTL), p.IPLen, p.Window
	base := len(dst)
	// The signatures of this size and those of any, merged back into
	// file order (the order of the OS texts).
	exact, other := db.bySize[ipLen], db.anySize
	for len(exact) > 0 || len(other) > 0 {
		var i int32
		if len(other) == 0 || len(exact) > 0 && exact[0] < other[0] {
			i, exact = exact[0], exact[1:]
		} else {
			i, other = other[0], other[1:]
		}
		s := &db.sigs[i]
		if !s.size.matchSize(ipLen) || (s.df != df && s.df != "*") {
			continue
		}
		if !(ttl > s.ttl-float64(maxHops) && ttl <= s.ttl) {
			continue
		}
		if !s.win.matchWin(win, opts) || !matchItems(s.opts, opts) {
			continue
		}
		for _, os := range s.os {
			if !containsString(dst[base:], os) {
				dst = append(dst, os)
			}
		}
	}
	return dst
}

func (n pfNum) matchSize(v int) bool {
	switch n.kind {
	case pfAny:
		return true
	case pfMod:
		return v >= 0 && n.n != 0 && uint64(v)%n.n == 0 // psad dies on %0
	}
	return float64(v) == n.f
}

func (n pfNum) matchWin(v int, opts []psadOpt) bool {
	switch n.kind {
	case pfMSS:
		// psad looks at the first option only.
		return len(opts) > 0 && opts[0].kind == 'M' && float64(v) == float64(opts[0].val)*float64(n.n)
	}
	return n.matchSize(v)
}

func matchItems(items []pfItem, opts []psadOpt) bool {
	for i, it := range items {
		if it.kind == 0 {
			continue
		}
		if i >= len(opts) || opts[i].kind != it.kind {
			return false
		}
		v := opts[i].val
		switch it.check {
		case pfItemEq:
			if v != it.n {
				return false
			}
		case pfItemMod:
			if it.n == 0 || v%it.n != 0 {
				return false
			}
		case pfItemT0:
			if v != 0 {
				return false
			}
		}
	}
	return true
}
