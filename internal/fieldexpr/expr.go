// Package fieldexpr implements psad's packet field expressions, the
// argument of --analysis-fields (detection spec 13.9) and --CSV-fields
// (operations spec 9.3): blank-separated tokens NAME or NAME:CRITERION
// that select packet-record fields and the values they must have.
package fieldexpr

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/psadgo/psad/internal/fwlog"
)

// FieldError reports a field name that is neither a packet-record field
// nor an alias. Its message is psad's, including the list of valid names.
type FieldError struct {
	Name string
}

// Error returns psad's multi-line message (without a final newline).
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("[*] " + e.Name + " is not a valid packet field; valid fields are:")
	for _, n := range fieldNames {
		b.WriteString("\n    " + n)
	}
	return b.String()
}

// critKind is the form of a criterion.
type critKind uint8

const (
	critNone  critKind = iota // field only (CSV) or a count keyword alone
	critEq                    // N
	critGt                    // >N
	critLt                    // <N
	critRegex                 // /re/
	critText                  // 'text'
	critAddr                  // IPv4 or IPv6 address or network
)

// term is one token of an expression.
type term struct {
	field fieldID
	kind  critKind
	neg   bool
	num   string // decimal digits without leading zeros (critEq/Gt/Lt)
	text  string
	re    *regexp.Regexp
	pfx   netip.Prefix
	count string // gnuplot counting keyword, "" when none
}

// Expr is a parsed field expression. It is immutable and safe for
// concurrent use.
type Expr struct {
	terms []term
}

// countKeywords are the gnuplot counting keywords (operations spec 9.6);
// they are accepted here but do not filter packets.
var countKeywords = map[string]bool{
	"count": true, "countuniq": true, "countday": true, "counthour": true,
	"countmin": true, "countdayuniq": true, "counthouruniq": true,
	"countminuniq": true, "countabs": true,
}

// Parse parses spec, which is split on blanks into tokens NAME or
// NAME:CRITERION. NAME is a packet-record field or an upper-case alias
// (SRC DST SPT DPT PROTO TOS WIN TYPE CODE TTL ID SEQ LEN IN OUT). With
// requireCriteria (-A mode) every token needs a criterion.
//
// Criteria, each optionally preceded by "not": N, >N, <N (the field must
// be all digits), /regex/ (Go RE2 syntax), 'text' (exact), an IPv4
// address or network (a.b.c.d, a.b.c.d/nn, a.b.c.d/m.m.m.m), or, for
// anything containing ':', an IPv6 address or network. One trailing
// comma is dropped, so "SRC:1.2.3.4, DST:5.6.7.8" is two criteria. A
// gnuplot counting keyword may stand alone or follow ",".
//
// Errors carry psad's messages: a *FieldError for an unknown name,
// "[*] <token> requires a search criteria in -A mode." and
// "[*] Unrecognized value for <field>".
func Parse(spec string, requireCriteria bool) (*Expr, error) {
	e := &Expr{}
	for _, tok := range strings.Fields(spec) {
		name, crit, _ := strings.Cut(tok, ":")
		crit = strings.TrimSuffix(crit, ",")
		if crit == "" && requireCriteria {
			return nil, &parseError{"[*] " + tok + " requires a search criteria in -A mode."}
		}
		f, ok := lookupField(name)
		if !ok {
			return nil, &FieldError{Name: name}
		}
		t := term{field: f}
		if crit != "" {
			if err := t.parseCriterion(crit); err != nil {
				return nil, err
			}
		}
		e.terms = append(e.terms, t)
	}
	return e, nil
}

// parseError is a fatal expression error carrying psad's message.
type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

func (t *term) unrecognized() error {
	return &parseError{"[*] Unrecognized value for " + fieldNames[t.field]}
}

func (t *term) parseCriterion(c string) error {
	if countKeywords[c] {
		t.count = c
		return nil
	}
	if i := strings.LastIndexByte(c, ','); i >= 0 && countKeywords[c[i+1:]] {
		t.count = c[i+1:]
		c = c[:i]
	}
	if rest, ok := strings.CutPrefix(c, "not"); ok {
		t.neg = true
		c = rest
	}
	switch {
	case c == "":
		return t.unrecognized()
	case allDigits(c):
		t.kind, t.num = critEq, trimZeros(c)
	case (c[0] == '>' || c[0] == '<') && len(c) > 1 && allDigits(c[1:]):
		t.kind, t.num = critGt, trimZeros(c[1:])
		if c[0] == '<' {
			t.kind = critLt
		}
	case len(c) >= 2 && c[0] == '/' && c[len(c)-1] == '/':
		re, err := regexp.Compile(c[1 : len(c)-1])
		if err != nil {
			return &parseError{"[*] Invalid regex for " + fieldNames[t.field] + ": " + err.Error()}
		}
		t.kind, t.re = critRegex, re
	case len(c) >= 2 && c[0] == '\'' && c[len(c)-1] == '\'':
		t.kind, t.text = critText, c[1:len(c)-1]
	case strings.Contains(c, ":"):
		p, ok := parseIPv6Net(c)
		if !ok {
			return t.unrecognized()
		}
		t.kind, t.pfx = critAddr, p
	case looksIPv4(c):
		p, ok := parseIPv4Net(c)
		if !ok {
			return t.unrecognized()
		}
		t.kind, t.pfx = critAddr, p
	default:
		return t.unrecognized()
	}
	return nil
}

func allDigits[S string | []byte](s S) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// trimZeros drops leading zeros of a digit string, keeping at least one
// digit, so that digit strings compare numerically by length first.
func trimZeros[S string | []byte](s S) S {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// cmpDigits compares two digit strings without leading zeros
// numerically, for any length.
func cmpDigits(a []byte, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	for i := range len(a) {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// looksIPv4 reports whether s has the shape of psad's IPv4 criterion:
// four dot-separated groups of digits, optionally followed by "/" and a
// prefix length or a dotted mask.
func looksIPv4(s string) bool {
	addr, _, _ := strings.Cut(s, "/")
	if strings.Count(addr, ".") != 3 {
		return false
	}
	for _, g := range strings.Split(addr, ".") {
		if !allDigits(g) {
			return false
		}
	}
	return true
}

func parseIPv4Net(s string) (netip.Prefix, bool) {
	addrText, maskText, hasMask := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addrText)
	if err != nil || !a.Is4() {
		return netip.Prefix{}, false
	}
	bits := 32
	if hasMask {
		if strings.Contains(maskText, ".") {
			m, err := netip.ParseAddr(maskText)
			if err != nil || !m.Is4() {
				return netip.Prefix{}, false
			}
			b4 := m.As4()
			v := uint32(b4[0])<<24 | uint32(b4[1])<<16 | uint32(b4[2])<<8 | uint32(b4[3])
			bits = 0
			for v&(1<<31) != 0 {
				bits++
				v <<= 1
			}
			if v != 0 { // not a contiguous netmask
				return netip.Prefix{}, false
			}
		} else {
			n, err := strconv.Atoi(maskText)
			if err != nil || !allDigits(maskText) || n > 32 {
				return netip.Prefix{}, false
			}
			bits = n
		}
	}
	return netip.PrefixFrom(a, bits).Masked(), true
}

func parseIPv6Net(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is6() {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, 128), true
}

// Fields returns the canonical field names of the tokens in order (the
// CSV columns).
func (e *Expr) Fields() []string {
	names := make([]string, len(e.terms))
	for i, t := range e.terms {
		names[i] = fieldNames[t.field]
	}
	return names
}

// AppendRecord appends the values of the expression's fields joined by
// sep, the body of one CSV line. ctx may be nil.
func (e *Expr) AppendRecord(dst []byte, sep string, p *fwlog.Packet, ctx *Context) []byte {
	for i := range e.terms {
		if i > 0 {
			dst = append(dst, sep...)
		}
		dst = appendField(dst, e.terms[i].field, p, ctx)
	}
	return dst
}

// Match reports whether p meets every criterion of the expression (a
// field without a criterion always matches). ctx may be nil. Address and
// numeric criteria do not allocate.
func (e *Expr) Match(p *fwlog.Packet, ctx *Context) bool {
	for i := range e.terms {
		t := &e.terms[i]
		var ok bool
		switch t.kind {
		case critNone:
			continue
		case critEq, critGt, critLt:
			ok = t.matchNumber(p, ctx)
		case critText:
			ok = t.matchText(p, ctx) != t.neg
		case critRegex:
			ok = t.matchRegex(p, ctx) != t.neg
		case critAddr:
			ok = t.matchAddr(p, ctx)
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchNumber implements N, >N and <N: the field must be all digits, and
// "not" negates the comparison only.
func (t *term) matchNumber(p *fwlog.Packet, ctx *Context) bool {
	var buf [24]byte
	var v []byte
	if n, ok := intField(t.field, p, ctx); ok {
		if n < 0 {
			return false
		}
		v = strconv.AppendInt(buf[:0], n, 10)
	} else if b, ok := bytesField(t.field, p); ok {
		v = b
	} else {
		v = appendField(buf[:0], t.field, p, ctx)
	}
	if !allDigits(v) {
		return false
	}
	c := cmpDigits(trimZeros(v), t.num)
	var r bool
	switch t.kind {
	case critEq:
		r = c == 0
	case critGt:
		r = c > 0
	case critLt:
		r = c < 0
	}
	return r != t.neg
}

func (t *term) matchText(p *fwlog.Packet, ctx *Context) bool {
	if b, ok := bytesField(t.field, p); ok {
		return string(b) == t.text
	}
	if s, ok := stringField(t.field, p); ok {
		return s == t.text
	}
	var buf [64]byte
	return string(appendField(buf[:0], t.field, p, ctx)) == t.text
}

func (t *term) matchRegex(p *fwlog.Packet, ctx *Context) bool {
	if b, ok := bytesField(t.field, p); ok {
		return t.re.Match(b)
	}
	if s, ok := stringField(t.field, p); ok {
		return t.re.MatchString(s)
	}
	return t.re.Match(appendField(nil, t.field, p, ctx))
}

// matchAddr implements address criteria: the field must hold an address,
// and "not" negates the containment test only.
func (t *term) matchAddr(p *fwlog.Packet, ctx *Context) bool {
	a, ok := addrField(t.field, p)
	if !ok {
		var buf [64]byte
		v := appendField(buf[:0], t.field, p, ctx)
		var err error
		if a, err = netip.ParseAddr(string(v)); err != nil || a.Zone() != "" {
			return false
		}
	}
	if !a.IsValid() {
		return false
	}
	return t.pfx.Contains(a) != t.neg
}
