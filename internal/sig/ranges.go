package sig

import (
	"errors"
	"fmt"
	"strings"
)

// span is an inclusive range of values.
type span struct{ lo, hi int64 }

// numSet is a compiled range (psad's "build range"): a value matches when
// it is in one of pos (or all is set) and in none of neg. psad's single
// negated range N is {all, neg: N}.
type numSet struct {
	all bool
	pos []span
	neg []span
}

func (n *numSet) match(v int64) bool {
	ok := n.all
	for _, s := range n.pos {
		if v >= s.lo && v <= s.hi {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	for _, s := range n.neg {
		if v >= s.lo && v <= s.hi {
			return false
		}
	}
	return true
}

// isAnyPort reports whether n is the whole default port range, the
// compiled form of "any".
func (n *numSet) isAnyPort() bool {
	return !n.all && len(n.neg) == 0 && len(n.pos) == 1 && n.pos[0] == span{1, 65535}
}

// bounds are a keyword's default minimum and maximum (spec 9.2). The
// minimums are 1, not 0, in psad: that is why port 0 never matches "any"
// and icode:<5 does not match code 0 (spec 9.3), which we keep.
type bounds struct {
	lo, hi int64
	name   string
}

var (
	bPort   = bounds{1, 65535, "port"}
	bTTL    = bounds{1, 255, "ttl"}
	bID     = bounds{1, 65535, "id"}
	bIPLen  = bounds{1, 65536, "psad_ip_len"}
	bDsize  = bounds{1, 1514, "dsize"}
	bSeq    = bounds{1, 4294967296, "seq"}
	bWindow = bounds{1, 65535, "window"}
	bICMP   = bounds{1, 255, "itype"}
	bICMPID = bounds{1, 65535, "icmp_id"} // psad passes wrong bounds here; we use the field's
)

// maxRangeNum bounds the numbers we accept, well above every keyword's
// maximum, so arithmetic on them cannot overflow.
const maxRangeNum = 1 << 40

var errBadRange = errors.New("bad range")

// parseNum parses decimal digits.
func parseNum(s string) (int64, bool) {
	if s == "" || len(s) > 13 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n <= maxRangeNum
}

// rangeAtom parses one range without negation: any, N, N:M, N:, :M, <N,
// >N, <=N, >=N.
func rangeAtom(s string, b bounds) (span, error) {
	s = strings.TrimSpace(s)
	if s == "any" {
		return span{b.lo, b.hi}, nil
	}
	num := func(t string) (int64, error) {
		n, ok := parseNum(strings.TrimSpace(t))
		if !ok {
			return 0, errBadRange
		}
		return n, nil
	}
	var (
		sp  span
		err error
	)
	switch {
	case strings.HasPrefix(s, "<="):
		sp.lo = b.lo
		sp.hi, err = num(s[2:])
	case strings.HasPrefix(s, ">="):
		sp.hi = b.hi
		sp.lo, err = num(s[2:])
	case strings.HasPrefix(s, "<"):
		sp.lo = b.lo
		sp.hi, err = num(s[1:])
		sp.hi--
	case strings.HasPrefix(s, ">"):
		sp.hi = b.hi
		sp.lo, err = num(s[1:])
		sp.lo++
	default:
		i := strings.IndexByte(s, ':')
		switch {
		case i < 0:
			sp.lo, err = num(s)
			sp.hi = sp.lo
		case i == 0:
			sp.lo = b.lo
			sp.hi, err = num(s[1:])
		case i == len(s)-1:
			sp.hi = b.hi
			sp.lo, err = num(s[:i])
		default:
			if sp.lo, err = num(s[:i]); err == nil {
				sp.hi, err = num(s[i+1:])
				if err == nil && sp.lo > sp.hi {
					err = errBadRange
				}
			}
		}
	}
	return sp, err
}

// expandVars replaces every $NAME in s by its value. psad allows at most
// one reference in a field (max is 1 then); max 0 means no limit.
func expandVars(s string, vars func(string) (string, bool), max int) (string, error) {
	n, orig := 0, s
	for depth := 0; strings.IndexByte(s, '$') >= 0; depth++ {
		if depth > 8 {
			return "", fmt.Errorf("variables nested too deeply in %q", orig)
		}
		var b strings.Builder
		for {
			i := strings.IndexByte(s, '$')
			if i < 0 {
				b.WriteString(s)
				break
			}
			b.WriteString(s[:i])
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			name := s[i+1 : j]
			if name == "" {
				return "", fmt.Errorf("bad variable reference in %q", orig)
			}
			if n++; depth == 0 && max > 0 && n > max {
				return "", fmt.Errorf("more than one variable in %q", orig)
			}
			var v string
			ok := false
			if vars != nil {
				v, ok = vars(name)
			}
			if !ok {
				return "", fmt.Errorf("unknown variable $%s", name)
			}
			b.WriteString(v)
			s = s[j:]
		}
		s = b.String()
	}
	return s, nil
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// buildRange compiles a range keyword value (and, with compat, a port
// field) as psad does: $VAR substitution, a "!" anywhere negates (our
// mode: only a leading "!"), "any" is the default bounds; with compat a
// list keeps its first element and a bracketed list is an error, without
// it any list is an error.
func buildRange(val string, b bounds, vars func(string) (string, bool), compat bool) (numSet, error) {
	s, err := expandVars(strings.TrimSpace(val), vars, 0)
	if err != nil {
		return numSet{}, fmt.Errorf("%s: %w", b.name, err)
	}
	s = strings.TrimSpace(s)
	neg := false
	if compat {
		if i := strings.IndexByte(s, '!'); i >= 0 {
			neg = true
			s = s[:i] + s[i+1:]
		}
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "[") {
			return numSet{}, fmt.Errorf("%s: lists are not supported: %q", b.name, val)
		}
		if i := strings.IndexByte(s, ','); i >= 0 {
			s = s[:i] // psad uses only the first number (spec 9.3)
		}
	} else {
		if strings.HasPrefix(s, "!") {
			neg = true
			s = strings.TrimSpace(s[1:])
		}
		if strings.ContainsAny(s, "[],!") {
			return numSet{}, fmt.Errorf("%s: bad range %q", b.name, val)
		}
	}
	sp, err := rangeAtom(s, b)
	if err != nil {
		return numSet{}, fmt.Errorf("%s: bad range %q", b.name, val)
	}
	if neg {
		return numSet{all: true, neg: []span{sp}}, nil
	}
	return numSet{pos: []span{sp}}, nil
}

// node is a parsed Snort list expression: an atom, or a (possibly
// negated) list such as ![a,b].
type node struct {
	neg  bool
	atom string
	list []node
}

// parseExpr parses a Snort address or port field: "!" prefixes, [..]
// lists (nested), $VAR references whose values are themselves
// expressions (a bare comma list is allowed there and at the top), and
// atoms.
func parseExpr(s string, vars func(string) (string, bool), depth int) (node, error) {
	if depth > 8 {
		return node{}, errors.New("nested too deeply")
	}
	parts, err := splitTop(s)
	if err != nil {
		return node{}, err
	}
	if len(parts) == 1 {
		return parseElem(parts[0], vars, depth)
	}
	n := node{}
	for _, p := range parts {
		e, err := parseElem(p, vars, depth)
		if err != nil {
			return node{}, err
		}
		n.list = append(n.list, e)
	}
	return n, nil
}

func parseElem(s string, vars func(string) (string, bool), depth int) (node, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return node{}, errors.New("empty element")
	case s[0] == '!':
		in, err := parseElem(s[1:], vars, depth+1)
		if err != nil {
			return node{}, err
		}
		return node{neg: true, list: []node{in}}, nil
	case s[0] == '[':
		if s[len(s)-1] != ']' {
			return node{}, errors.New("unbalanced [")
		}
		return parseExpr(s[1:len(s)-1], vars, depth+1)
	case s[0] == '$':
		name := s[1:]
		for i := 0; i < len(name); i++ {
			if !isNameByte(name[i]) {
				return node{}, fmt.Errorf("bad variable reference %q", s)
			}
		}
		v, ok := "", false
		if vars != nil && name != "" {
			v, ok = vars(name)
		}
		if !ok {
			return node{}, fmt.Errorf("unknown variable %s", s)
		}
		return parseExpr(v, vars, depth+1)
	}
	if strings.ContainsAny(s, "[]!$,") {
		return node{}, fmt.Errorf("bad element %q", s)
	}
	return node{atom: s}, nil
}

// splitTop splits s at commas outside brackets.
func splitTop(s string) ([]string, error) {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth--; depth < 0 {
				return nil, errors.New("unbalanced ]")
			}
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, errors.New("unbalanced [")
	}
	return append(parts, s[start:]), nil
}

// flatten walks a parsed expression and reports each atom with whether it
// is negated. A negated list of more than one element may not contain a
// negation itself: ![a,!b] is "not a, or b", which a pos/neg pair cannot
// express, and Snort rules do not need it.
func flatten(n node, neg, inNegList bool, atom func(a string, neg bool) error) error {
	if n.atom != "" {
		return atom(n.atom, neg)
	}
	if n.neg {
		in := n.list[0]
		if in.neg { // !!x is x
			return flatten(in.list[0], neg, inNegList, atom)
		}
		if inNegList {
			return errors.New("negation inside a negated list is not supported")
		}
		return flatten(in, !neg, len(in.list) > 1, atom)
	}
	for _, e := range n.list {
		if err := flatten(e, neg, inNegList, atom); err != nil {
			return err
		}
	}
	return nil
}

// parsePorts compiles a port field with its Snort meaning: lists,
// negation, ranges.
func parsePorts(val string, vars func(string) (string, bool)) (numSet, error) {
	n, err := parseExpr(val, vars, 0)
	if err != nil {
		return numSet{}, fmt.Errorf("bad port %q: %w", val, err)
	}
	var ns numSet
	err = flatten(n, false, false, func(a string, neg bool) error {
		sp, err := rangeAtom(a, bPort)
		if err != nil {
			return fmt.Errorf("bad range %q", a)
		}
		if neg {
			ns.neg = append(ns.neg, sp)
		} else {
			ns.pos = append(ns.pos, sp)
		}
		return nil
	})
	if err != nil {
		return numSet{}, fmt.Errorf("bad port %q: %w", val, err)
	}
	if len(ns.pos) == 0 {
		ns.all = true
	}
	return ns, nil
}
