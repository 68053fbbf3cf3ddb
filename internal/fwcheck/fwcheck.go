// Package fwcheck decides whether a firewall ruleset logs the packets it
// drops, which psad needs: it sees only what the kernel logs. It reads the
// text of iptables-save, ip6tables-save (legacy and nf_tables builds) and
// nft list ruleset, follows the path a packet that no rule allows takes
// through the input and forward hooks, and reports, per family and hook,
// whether that packet is logged before it is dropped, with the rule to add
// when it is not.
//
// It replaces psad's fwcheck_psad, which looked for a LOG rule anywhere in
// "iptables -L" output: it missed nftables entirely, misread current
// ip6tables listings and warned about rulesets that log in a user chain.
// The analysis does no I/O; collect.go runs the listing programs.
package fwcheck

import (
	"fmt"
	"strings"
)

// Family is the address family a chain filters.
type Family uint8

// The families psad reads logs for.
const (
	IPv4 Family = iota + 1
	IPv6
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return fmt.Sprintf("Family(%d)", uint8(f))
}

// Hook is the netfilter hook a base chain is attached to. Only input and
// forward matter to psad: scans arrive on them.
type Hook uint8

// The hooks the check follows; OtherHook covers prerouting, output and
// the rest, which are parsed but not checked.
const (
	NoHook Hook = iota
	Input
	Forward
	OtherHook
)

func (h Hook) String() string {
	switch h {
	case Input:
		return "input"
	case Forward:
		return "forward"
	case OtherHook:
		return "other"
	}
	return "none"
}

// Tool says which program printed a table; advice is written in its
// syntax.
type Tool uint8

// The listing programs understood.
const (
	IPTables    Tool = iota + 1 // iptables-save of unknown build (treated as legacy)
	IPTablesNFT                 // iptables-nft-save ("(nf_tables)" in its header)
	NFT                         // nft list ruleset
)

// Verdict is what a rule or policy does with a packet.
type Verdict uint8

// Verdicts. Continue means the rule does not end the packet's walk
// through the chain (a rule that only logs or counts).
const (
	Continue Verdict = iota
	Accept
	Drop
	Reject
	Jump
	Goto
	Return
	Queue
)

func (v Verdict) String() string {
	return [...]string{"continue", "accept", "drop", "reject", "jump", "goto", "return", "queue"}[v]
}

// Rule is one rule as the parser understood it.
type Rule struct {
	Line int    // 1-based line in the text it came from
	Text string // the rule as printed, trimmed
	// Match is the part of the rule that restricts which packets it
	// applies to, as printed; empty when the rule applies to every packet.
	// Rate limits and comments do not restrict: a rate-limited LOG rule
	// still logs unwanted packets (ufw's LOG rules are all limited).
	Match string
	// Log reports whether the rule writes to the kernel log (LOG target,
	// nft log without group); LogPrefix is valid only then.
	Log       bool
	LogPrefix string
	// Userlog reports whether the rule logs to userspace (NFLOG, ULOG,
	// nft log group), which never reaches the kernel log psad reads.
	Userlog bool
	Verdict Verdict
	Target  string // chain of a Jump or Goto
	Handle  int    // nft rule handle from "nft -a"; 0 when not printed
	Pos     int    // 1-based position in its chain (iptables -I numbering)
}

// Cond reports whether the rule applies only to some packets.
func (r *Rule) Cond() bool { return r.Match != "" }

// Chain is a chain of a table.
type Chain struct {
	Table *Table
	Name  string
	Line  int
	// Hook is the hook of a base chain, NoHook for a user chain. Only
	// chains of type filter are given a hook: nat and route chains do
	// not drop.
	Hook     Hook
	Priority int     // base chains only; iptables filter chains are 0
	Policy   Verdict // base chains only: Accept or Drop
	Rules    []*Rule
}

// Table is one table of a ruleset.
type Table struct {
	Tool Tool
	// Families are the families the table filters: one for iptables and
	// nft ip/ip6 tables, both for nft inet tables.
	Families  []Family
	NFTFamily string // nft family name ("ip", "ip6", "inet", ...); "" for iptables
	Name      string
	Line      int
	Chains    []*Chain
}

// Chain returns the chain called name, or nil.
func (t *Table) Chain(name string) *Chain {
	for _, c := range t.Chains {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (t *Table) has(f Family) bool {
	for _, x := range t.Families {
		if x == f {
			return true
		}
	}
	return false
}

// Ruleset is everything parsed from one or more listings.
type Ruleset struct {
	Tables []*Table
}

// baseChains returns the filter base chains on hook h for family f,
// lowest priority (first traversed) first.
func (rs *Ruleset) baseChains(f Family, h Hook) []*Chain {
	var out []*Chain
	for _, t := range rs.Tables {
		if !t.has(f) {
			continue
		}
		for _, c := range t.Chains {
			if c.Hook == h {
				out = append(out, c)
			}
		}
	}
	// Insertion sort keeps listing order among equal priorities.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Priority < out[j-1].Priority; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// FiltersForward reports whether the ruleset filters forwarded packets at
// all: some forward chain has a rule or a drop policy. A saved ruleset
// says nothing of the host's ip_forward setting, so a ruleset whose author
// filtered forwarding is taken to be meant for a router.
func (rs *Ruleset) FiltersForward() bool {
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			if c.Hook == Forward && (len(c.Rules) > 0 || c.Policy != Accept) {
				return true
			}
		}
	}
	return false
}

// ufw and firewalld rewrite the ruleset on every reload, so rules added by
// hand vanish; their own logging switches are the advice that lasts.
func (rs *Ruleset) manager() string {
	for _, t := range rs.Tables {
		if t.Tool == NFT && t.Name == "firewalld" {
			return "firewalld"
		}
		for _, c := range t.Chains {
			if strings.HasPrefix(c.Name, "ufw-") || strings.HasPrefix(c.Name, "ufw6-") {
				return "ufw"
			}
			if t.Tool != NFT && (c.Name == "IN_public" || c.Name == "INPUT_ZONES") {
				return "firewalld"
			}
		}
	}
	return ""
}
