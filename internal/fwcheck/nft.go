package fwcheck

import (
	"strconv"
	"strings"
)

// nftTable reads one "table family name {" block; p.cur is its first line.
func (p *parser) nftTable() (*Table, error) {
	f := fields(stripComment(p.cur))
	if len(f) < 4 || f[len(f)-1] != "{" {
		return nil, p.errorf("table line is not \"table <family> <name> {\"")
	}
	t := &Table{Tool: NFT, NFTFamily: f[1], Name: f[2], Line: p.n}
	switch t.NFTFamily {
	case "ip":
		t.Families = []Family{IPv4}
	case "ip6":
		t.Families = []Family{IPv6}
	case "inet":
		t.Families = []Family{IPv4, IPv6}
	case "arp", "bridge", "netdev":
		// Parsed for completeness; psad reads no logs of theirs.
	default:
		return nil, p.errorf("unknown nft family %q", t.NFTFamily)
	}
	for p.next() {
		line := stripComment(p.cur)
		switch {
		case line == "":
		case line == "}":
			return t, nil
		case strings.HasPrefix(line, "chain ") && strings.HasSuffix(line, "{"):
			c, err := p.nftChain(t, line)
			if err != nil {
				return nil, err
			}
			t.Chains = append(t.Chains, c)
		case strings.HasSuffix(line, "{"):
			// A set, map, flowtable or stateful object: nothing to check.
			if err := p.skipBlock(); err != nil {
				return nil, err
			}
		case strings.HasPrefix(line, "flags ") || strings.HasPrefix(line, "comment "):
		default:
			return nil, p.errorf("not an nft table statement")
		}
	}
	return nil, p.errorf("table %q is not closed", t.Name)
}

// skipBlock moves past the "}" closing the block opened on p.cur.
func (p *parser) skipBlock() error {
	depth := braces(p.cur)
	for depth > 0 && p.next() {
		depth += braces(stripComment(p.cur))
	}
	if depth > 0 {
		return p.errorf("block is not closed")
	}
	return nil
}

// braces returns the number of "{" minus "}" outside quotes.
func braces(s string) int {
	n, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == '{':
			n++
		case !quoted && c == '}':
			n--
		}
	}
	return n
}

// stripComment cuts a "#" comment (nft -a prints "# handle N") outside
// quotes.
func stripComment(s string) string {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case '#':
			if !quoted {
				return strings.TrimSpace(s[:i])
			}
		}
	}
	return s
}

// handle returns N from a trailing "# handle N", or 0.
func handle(s string) int {
	i := strings.LastIndex(s, "# handle ")
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(s[i+len("# handle "):]))
	return n
}

// nftPriorities are nft's names for the standard priorities of the ip,
// ip6 and inet families.
var nftPriorities = map[string]int{"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100}

func (p *parser) nftChain(t *Table, line string) (*Chain, error) {
	f := fields(line)
	if len(f) != 3 {
		return nil, p.errorf("chain line is not \"chain <name> {\"")
	}
	c := &Chain{Table: t, Name: unquote(f[1]), Line: p.n}
	for p.next() {
		raw := p.cur
		line := stripComment(raw)
		if line == "" {
			continue
		}
		if line == "}" {
			return c, nil
		}
		if strings.HasPrefix(line, "type ") || strings.HasPrefix(line, "policy ") {
			if err := p.nftChainSpec(c, line); err != nil {
				return nil, err
			}
			continue
		}
		if strings.HasPrefix(line, "comment ") && len(c.Rules) == 0 {
			continue
		}
		// A rule whose anonymous set is too long for one line goes on
		// until its braces close.
		start := p.n
		for depth := braces(line); depth > 0 && p.next(); depth += braces(stripComment(p.cur)) {
			line += " " + stripComment(p.cur)
			raw = p.cur
		}
		r := nftRule(line)
		r.Line, r.Handle, r.Pos = start, handle(raw), len(c.Rules)+1
		c.Rules = append(c.Rules, r)
	}
	return nil, p.errorf("chain %q is not closed", c.Name)
}

// nftChainSpec reads "type filter hook input priority filter; policy drop;".
func (p *parser) nftChainSpec(c *Chain, line string) error {
	c.Policy = Accept
	for _, part := range strings.Split(line, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "type":
			var typ, hook string
			for i := 0; i+1 < len(f); i++ {
				switch f[i] {
				case "type":
					typ = f[i+1]
				case "hook":
					hook = f[i+1]
				case "priority":
					pr, err := nftPriority(f[i+1:])
					if err != nil {
						return p.errorf("chain priority: %v", err)
					}
					c.Priority = pr
				}
			}
			switch {
			case typ != "filter" || hook == "":
				c.Hook = OtherHook
			case hook == "input":
				c.Hook = Input
			case hook == "forward":
				c.Hook = Forward
			default:
				c.Hook = OtherHook
			}
		case "policy":
			if len(f) < 2 {
				return p.errorf("policy without a verdict")
			}
			switch f[1] {
			case "accept":
				c.Policy = Accept
			case "drop":
				c.Policy = Drop
			default:
				return p.errorf("chain policy %q is neither accept nor drop", f[1])
			}
		}
	}
	return nil
}

// nftPriority reads "filter", "filter + 10", "-150" or "mangle - 5".
func nftPriority(f []string) (int, error) {
	base, ok := nftPriorities[f[0]]
	if !ok {
		n, err := strconv.Atoi(f[0])
		if err != nil {
			return 0, &strconv.NumError{Func: "priority", Num: f[0], Err: strconv.ErrSyntax}
		}
		base = n
	}
	if len(f) >= 3 && (f[1] == "+" || f[1] == "-") {
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return 0, err
		}
		if f[1] == "-" {
			n = -n
		}
		base += n
	}
	return base, nil
}

// nftRule reads one rule. Statements that do not restrict which packets
// the rule applies to (counter, log, limit rate, comment) are taken out;
// everything else before the verdict is the match.
func nftRule(line string) *Rule {
	r := &Rule{Text: line}
	f := fields(line)
	var match []string
	i := 0
loop:
	for i < len(f) {
		switch f[i] {
		case "counter":
			i++
			if i < len(f) && f[i] == "packets" {
				i += 4
			} else if i < len(f) && f[i] == "name" {
				i += 2
			}
		case "log":
			i++
			logs := true
			for i+1 < len(f) && isLogOption(f[i]) {
				switch f[i] {
				case "prefix":
					r.LogPrefix = unquote(f[i+1])
				case "group":
					logs = false
				case "flags":
					if f[i+1] == "tcp" || f[i+1] == "ip" {
						i++ // "flags tcp sequence,options"
					}
				}
				i += 2
			}
			r.Log, r.Userlog = logs, !logs
		case "limit":
			// "limit rate over" matches only the excess: a restriction.
			if i+2 < len(f) && f[i+1] == "rate" && f[i+2] != "over" {
				i += 3
				if i < len(f) && strings.Contains(f[i], "/") {
					i++ // "10 mbytes/second"
				}
				if i+1 < len(f) && f[i] == "burst" {
					i += 2
					if i < len(f) && strings.HasSuffix(f[i], "bytes") || i < len(f) && f[i] == "packets" {
						i++
					}
				}
				continue
			}
			match = append(match, f[i])
			i++
		case "comment":
			i += 2
		case "accept":
			r.Verdict = Accept
			break loop
		case "drop":
			r.Verdict = Drop
			break loop
		case "reject":
			r.Verdict = Reject
			break loop
		case "return":
			r.Verdict = Return
			break loop
		case "queue":
			r.Verdict = Queue
			break loop
		case "jump", "goto":
			if i+1 < len(f) {
				r.Verdict, r.Target = Jump, unquote(f[i+1])
				if f[i] == "goto" {
					r.Verdict = Goto
				}
			}
			break loop
		case "continue":
			i++
		case "fib":
			// "fib daddr type local" holds for every packet on the input
			// hook, as "--dst-type LOCAL" does.
			if i+3 < len(f) && f[i+1] == "daddr" && f[i+2] == "type" && f[i+3] == "local" {
				i += 4
				continue
			}
			match = append(match, f[i])
			i++
		default:
			match = append(match, f[i])
			i++
		}
	}
	r.Match = strings.Join(match, " ")
	return r
}

func isLogOption(s string) bool {
	switch s {
	case "prefix", "group", "level", "snaplen", "queue-threshold", "flags":
		return true
	}
	return false
}
