package fwcheck

import (
	"fmt"
	"regexp"
	"strings"
)

// Options are the psad.conf settings the check depends on.
type Options struct {
	// IPv6 checks the IPv6 paths too (ENABLE_IPV6_DETECTION).
	IPv6 bool
	// Forward checks the forward hook too; psad does so only on a host
	// that forwards packets.
	Forward bool
	// SearchAll is FW_SEARCH_ALL: when false, psad reads only log lines
	// whose prefix matches one of MsgSearch (FW_MSG_SEARCH).
	SearchAll bool
	MsgSearch []*regexp.Regexp
}

// Severity grades a finding.
type Severity uint8

// Severities: OK and Note leave the verdict alone, Problem fails it.
const (
	OK Severity = iota
	Note
	Problem
)

// Finding is one conclusion about one family and hook.
type Finding struct {
	Family   Family
	Hook     Hook
	Severity Severity
	// Code names the kind of finding for programs: "logged",
	// "not-logged", "not-dropped", "no-chain", "prefix-filtered",
	// "queued", "logs-accepted".
	Code    string
	Message string
	// Advice are the commands (or psad.conf lines) that fix a problem,
	// one per line, in the syntax of the tool that owns the chain.
	Advice []string
}

// Result is the outcome of [Check].
type Result struct {
	Findings []Finding
}

// OK reports whether the ruleset logs and drops, on every checked path,
// what it does not accept, with a prefix psad reads.
func (r *Result) OK() bool {
	for _, f := range r.Findings {
		if f.Severity == Problem {
			return false
		}
	}
	return true
}

// String renders the findings for people: one "[+]" (fine), "[~]"
// (worth a look) or "[-]" (problem) paragraph each, advice indented.
func (r *Result) String() string {
	var b strings.Builder
	for _, f := range r.Findings {
		mark := [...]string{"[+]", "[~]", "[-]"}[f.Severity]
		fmt.Fprintf(&b, "%s %s %s: %s\n", mark, f.Family, f.Hook, f.Message)
		for _, a := range f.Advice {
			fmt.Fprintf(&b, "    %s\n", a)
		}
	}
	return b.String()
}

// Check follows, for each family and hook the options select, a packet
// that no rule singles out (one matching no conditional rule) through the
// base chains of the hook in priority order, into the chains they jump or
// go to, until a verdict: that is the packet psad must see logged. A
// conditional rule is passed over, since such a packet does not match it;
// rules that apply to every packet decide.
func Check(rs *Ruleset, o Options) *Result {
	res := &Result{}
	fams := []Family{IPv4}
	if o.IPv6 {
		fams = append(fams, IPv6)
	}
	hooks := []Hook{Input}
	if o.Forward {
		hooks = append(hooks, Forward)
	}
	c := &checker{rs: rs, o: o, prefix: advicePrefix(o), manager: rs.manager()}
	for _, f := range fams {
		for _, h := range hooks {
			res.Findings = append(res.Findings, c.path(f, h)...)
		}
	}
	return res
}

// advicePrefix is the log prefix advice proposes: psad's customary
// "DROP ", or with FW_SEARCH_ALL=N the first FW_MSG_SEARCH pattern that
// is a plain string, so the advice is one psad will read.
func advicePrefix(o Options) string {
	cands := []string{"DROP "}
	for _, re := range o.MsgSearch {
		if lit, complete := re.LiteralPrefix(); complete && lit != "" {
			cands = append(cands, lit)
		}
	}
	for _, c := range cands {
		if o.SearchAll || prefixRead(o, c) {
			return c
		}
	}
	return "DROP "
}

func prefixRead(o Options, prefix string) bool {
	if o.SearchAll {
		return true
	}
	for _, re := range o.MsgSearch {
		if re.MatchString(prefix) {
			return true
		}
	}
	return false
}

type checker struct {
	rs      *Ruleset
	o       Options
	prefix  string
	manager string
}

// at is a rule and the chain it sits in.
type at struct {
	r *Rule
	c *Chain
}

// walker is the state of one packet's walk.
type walker struct {
	logs, userlogs, condLogs []at
	logsAccepted             *at // first conditional accept after a LOG
	// through holds the chains walked to their end without a verdict. A
	// second jump there would only repeat the walk, and repeating it makes
	// a ruleset whose chains jump twice to the next chain take 2^chains
	// steps.
	through map[*Chain]bool
}

// end is where a walk stopped: a verdict (Continue when the chain ran
// out), the rule that gave it (nil for a policy) and its chain.
type end struct {
	v Verdict
	at
}

// maxDepth bounds jumps; the kernel refuses loops, but a file need not
// have come from a kernel.
const maxDepth = 64

func (w *walker) walk(c *Chain, depth int) end {
	if depth > maxDepth {
		return end{}
	}
	for _, r := range c.Rules {
		if r.Cond() {
			if r.Log {
				w.condLogs = append(w.condLogs, at{r, c})
			}
			if r.Verdict == Accept && len(w.logs) > 0 && w.logsAccepted == nil {
				w.logsAccepted = &at{r, c}
			}
			continue
		}
		if r.Log {
			w.logs = append(w.logs, at{r, c})
		}
		if r.Userlog {
			w.userlogs = append(w.userlogs, at{r, c})
		}
		switch r.Verdict {
		case Accept, Drop, Reject, Queue:
			return end{r.Verdict, at{r, c}}
		case Return:
			return end{}
		case Jump, Goto:
			t := c.Table.Chain(r.Target)
			if t == nil {
				continue
			}
			if w.through[t] {
				if r.Verdict == Goto {
					return end{}
				}
				continue
			}
			e := w.walk(t, depth+1)
			if e.v != Continue || r.Verdict == Goto {
				return e
			}
			if w.through == nil {
				w.through = map[*Chain]bool{}
			}
			w.through[t] = true
		}
	}
	return end{}
}

func (c *checker) path(f Family, h Hook) []Finding {
	fd := Finding{Family: f, Hook: h}
	chains := c.rs.baseChains(f, h)
	if len(chains) == 0 {
		fd.Severity, fd.Code = Problem, "no-chain"
		fd.Message = "no chain filters this path, so every packet is accepted and nothing is logged."
		fd.Advice = c.newPolicy(f, h)
		return []Finding{fd}
	}
	w := &walker{}
	var e end
	for _, base := range chains {
		e = w.walk(base, 0)
		if e.v == Continue {
			e = end{v: base.Policy, at: at{c: base}}
		}
		if e.v != Accept {
			break
		}
	}
	var out []Finding
	switch e.v {
	case Accept:
		fd.Severity, fd.Code = Problem, "not-dropped"
		fd.Message = fmt.Sprintf("packets no rule singles out are accepted by %s, so unwanted packets are neither dropped nor reported.", where(e.at))
		fd.Advice = c.dropAdvice(f, e.at)
	case Queue:
		fd.Severity, fd.Code = Note, "queued"
		fd.Message = fmt.Sprintf("packets no rule singles out are handed to a userspace queue by %s; whether they are logged is up to the program reading the queue.", where(e.at))
	default:
		var read []at
		for _, l := range w.logs {
			if prefixRead(c.o, l.r.LogPrefix) {
				read = append(read, l)
			}
		}
		switch {
		case len(read) > 0:
			fd.Severity, fd.Code = OK, "logged"
			fd.Message = fmt.Sprintf("unwanted packets are logged by %s and %s by %s.", where(read[0]), dropped(e.v), where(e.at))
		case len(w.logs) > 0:
			fd.Severity, fd.Code = Problem, "prefix-filtered"
			fd.Message = fmt.Sprintf("unwanted packets are logged by %s with prefix %q, which no FW_MSG_SEARCH pattern matches, so psad skips those lines.", where(w.logs[0]), w.logs[0].r.LogPrefix)
			fd.Advice = []string{
				fmt.Sprintf("add to psad.conf: FW_MSG_SEARCH %s;", strings.TrimSpace(w.logs[0].r.LogPrefix)),
				"or set FW_SEARCH_ALL Y; in psad.conf",
			}
			if strings.TrimSpace(w.logs[0].r.LogPrefix) == "" {
				fd.Advice = fd.Advice[1:]
			}
		default:
			fd.Severity, fd.Code = Problem, "not-logged"
			fd.Message = fmt.Sprintf("unwanted packets are %s by %s without being logged first.", dropped(e.v), where(e.at))
			if len(w.userlogs) > 0 {
				fd.Message += fmt.Sprintf(" %s logs them to userspace (NFLOG or nft log group), not to the kernel log psad reads.", capital(where(w.userlogs[0])))
			}
			if len(w.condLogs) > 0 {
				fd.Message += fmt.Sprintf(" Only packets matching %q are logged, by %s.", w.condLogs[0].r.Match, where(w.condLogs[0]))
			}
			fd.Advice = c.logAdvice(f, e.at)
		}
		if w.logsAccepted != nil && len(w.logs) > 0 {
			out = append(out, Finding{Family: f, Hook: h, Severity: Note, Code: "logs-accepted",
				Message: fmt.Sprintf("%s also logs packets that %s accepts afterwards; psad will count them as scan traffic.", capital(where(w.logs[0])), where(*w.logsAccepted))})
		}
	}
	return append([]Finding{fd}, out...)
}

func dropped(v Verdict) string {
	if v == Reject {
		return "rejected"
	}
	return "dropped"
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// where names a rule (or a chain's policy when a.r is nil) for messages.
func where(a at) string {
	if a.r == nil {
		return fmt.Sprintf("the %s policy of %s", strings.ToUpper(a.c.Policy.String()), chainName(a.c))
	}
	return fmt.Sprintf("rule %q (line %d) in %s", a.r.Text, a.r.Line, chainName(a.c))
}

func chainName(c *Chain) string {
	t := c.Table
	if t.Tool == NFT {
		return fmt.Sprintf("chain %s of nft table %s %s", c.Name, t.NFTFamily, t.Name)
	}
	return fmt.Sprintf("chain %s of %s table %s", c.Name, iptCmd(t.Families[0]), t.Name)
}

func iptCmd(f Family) string {
	if f == IPv6 {
		return "ip6tables"
	}
	return "iptables"
}

// managerAdvice is the lasting fix under ufw and firewalld, which rewrite
// the ruleset on reload and so undo rules added by hand.
func (c *checker) managerAdvice() []string {
	switch c.manager {
	case "ufw":
		return []string{"ufw manages this ruleset; turn its logging on (rules added by hand are lost at its next reload):", "    ufw logging low"}
	case "firewalld":
		return []string{"firewalld manages this ruleset; have it log what it denies (rules added by hand are lost at its next reload):", "    firewall-cmd --set-log-denied=all"}
	}
	return nil
}

// logAdvice is the rule that logs before the drop at a: appended to the
// chain when its policy drops, inserted just before the dropping rule
// otherwise.
func (c *checker) logAdvice(f Family, a at) []string {
	adv := c.managerAdvice()
	if adv != nil {
		adv = append(adv, "or add the rule by hand:")
	} else {
		adv = []string{"add this rule:"}
	}
	t := a.c.Table
	var cmd string
	switch {
	case t.Tool != NFT && a.r == nil:
		cmd = fmt.Sprintf("%s%s -A %s -j LOG --log-prefix %q", iptCmd(f), tableFlag(t), a.c.Name, c.prefix)
	case t.Tool != NFT:
		cmd = fmt.Sprintf("%s%s -I %s %d -j LOG --log-prefix %q", iptCmd(f), tableFlag(t), a.c.Name, a.r.Pos, c.prefix)
	case a.r == nil:
		cmd = fmt.Sprintf("nft 'add rule %s %s %s log prefix %q'", t.NFTFamily, t.Name, a.c.Name, c.prefix)
	case a.r.Handle > 0:
		cmd = fmt.Sprintf("nft 'insert rule %s %s %s position %d log prefix %q'", t.NFTFamily, t.Name, a.c.Name, a.r.Handle, c.prefix)
	default:
		cmd = fmt.Sprintf("nft 'insert rule %s %s %s position <handle> log prefix %q'", t.NFTFamily, t.Name, a.c.Name, c.prefix)
		adv = append(adv, "    "+cmd, fmt.Sprintf("(<handle> is the one \"nft -a list chain %s %s %s\" prints for %q)", t.NFTFamily, t.Name, a.c.Name, a.r.Text))
		return adv
	}
	return append(adv, "    "+cmd)
}

func tableFlag(t *Table) string {
	if t.Name == "filter" {
		return ""
	}
	return " -t " + t.Name
}

// dropAdvice ends the path at a with a logging drop. The rules go at the
// end of the chain, after the rules that accept wanted traffic.
func (c *checker) dropAdvice(f Family, a at) []string {
	adv := c.managerAdvice()
	if adv != nil {
		adv = append(adv, "or end the chain by hand (after the rules that accept wanted traffic):")
	} else {
		adv = []string{"end the chain with a logged drop (after the rules that accept wanted traffic):"}
	}
	if a.r != nil {
		adv = append(adv, fmt.Sprintf("and remove or narrow rule %q (line %d), which accepts every packet", a.r.Text, a.r.Line))
	}
	t := a.c.Table
	if t.Tool == NFT {
		return append(adv, fmt.Sprintf("    nft 'add rule %s %s %s log prefix %q drop'", t.NFTFamily, t.Name, a.c.Name, c.prefix))
	}
	cmd := iptCmd(f) + tableFlag(t)
	return append(adv,
		fmt.Sprintf("    %s -A %s -j LOG --log-prefix %q", cmd, a.c.Name, c.prefix),
		fmt.Sprintf("    %s -A %s -j DROP", cmd, a.c.Name))
}

// newPolicy is advice for a path no chain filters, in the syntax the rest
// of the ruleset uses.
func (c *checker) newPolicy(f Family, h Hook) []string {
	if c.usesNFT() {
		fam := "ip"
		if f == IPv6 {
			fam = "ip6"
		}
		return []string{
			"create a filter chain that accepts wanted traffic, then logs and drops the rest, for example:",
			fmt.Sprintf("    nft 'add table %s filter'", fam),
			fmt.Sprintf("    nft 'add chain %s filter %s { type filter hook %s priority filter; policy drop; }'", fam, h, h),
			"    (rules accepting wanted traffic)",
			fmt.Sprintf("    nft 'add rule %s filter %s log prefix %q'", fam, h, c.prefix),
		}
	}
	chain := strings.ToUpper(h.String())
	return []string{
		"after the rules that accept wanted traffic, log and drop the rest:",
		fmt.Sprintf("    %s -A %s -j LOG --log-prefix %q", iptCmd(f), chain, c.prefix),
		fmt.Sprintf("    %s -P %s DROP", iptCmd(f), chain),
	}
}

func (c *checker) usesNFT() bool {
	for _, t := range c.rs.Tables {
		if t.Tool == NFT {
			for _, ch := range t.Chains {
				if ch.Hook != NoHook {
					return true
				}
			}
		}
	}
	return false
}
