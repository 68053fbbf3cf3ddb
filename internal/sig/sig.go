// Package sig loads psad signature files (detection spec 9), psad's
// companion files (classification.config, reference.config, snort_rule_dl,
// ip_options) and the fwsnort rules directories (spec 12), and matches
// parsed packets against the signatures.
//
// Everything that can be decided when a file is read is decided then:
// variables are expanded, addresses become [netip.Prefix] lists, ranges
// become numbers, and signatures are indexed by protocol and destination
// port, so [Set.Match] does no string work and does not allocate.
//
// Keywords evaluated: msg psad_id sid psad_dl classtype reference
// psad_derived_sids sameip ttl id psad_ip_len ipopts dsize psad_dsize
// flags flow (established) seq ack window itype icode icmp_seq icmp_id.
// Ignored by design: rev gid metadata priority depth nocase fast_pattern
// and flow values other than established. Every other keyword, psad's
// list of unsupported Snort options included, rejects the signature
// (an error with Options.Strict, else a Warning).
//
// Deliberate differences from psad: every candidate signature is
// evaluated (psad's port index may skip some, quirk #10); a packet
// matches a signature once even when its address lists overlap; without
// Options.PsadCompat, negation, lists and the "<-" and "<>" directions
// have their Snort meaning (quirk #11); a length byte below 2 in the IP
// options ends the decoding, where psad would loop.
package sig

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// Ref is one reference:type,value option of a signature. Type is kept as
// written; reference.config types are lower-cased, so look it up with
// strings.ToLower.
type Ref struct{ Type, Value string }

// Sig is one signature of a psad signature file.
type Sig struct {
	// ID is the sid when the signature has one, else its psad_id.
	ID int
	// PsadID reports whether ID came from psad_id (alerts print
	// "psad_id:" instead of "sid:" then).
	PsadID bool
	// Msg is the msg option, with Snort's backslash escapes removed.
	Msg string
	// Proto is "tcp", "udp", "icmp" or "ip".
	Proto string
	// DL is the danger level: psad_dl, else the classtype's DL from
	// classification.config, else 2, then replaced by the snort_rule_dl
	// entry for ID when there is one. 0 means "ignore packets matching
	// this signature" (spec 9.7).
	DL          int
	Classtype   string
	Refs        []Ref
	DerivedSIDs []int
	// Line and File locate the signature for messages.
	Line int
	File string

	psadID int // the psad_id value, set even when ID is the sid
	c      compiled
	text   ruleText
}

// ruleText keeps the parts of the rule as written that Explain quotes,
// so a failed test is reported in the signature's own words ($HOME_NET,
// not a list of networks).
type ruleText struct {
	or     [2]orientText // as c.or
	flags  string
	ipopts string
}

type orientText struct{ src, sp, dst, dp string }

// Options control how a signature file is read.
type Options struct {
	// Vars looks up psad.conf variables ($HOME_NET, $HTTP_PORTS, ...) and
	// returns their already expanded values. nil means no variables.
	Vars func(name string) (string, bool)
	// Strict is ENABLE_SNORT_SIG_STRICT: a signature using an unsupported
	// Snort option, or lacking psad_id, is an error naming file and line;
	// otherwise it is skipped with a Warning.
	Strict bool
	// ClassDL maps classtype to DL (see LoadClassification); used only by
	// signatures without psad_dl.
	ClassDL map[string]int
	// RuleDL is snort_rule_dl: signature ID -> DL override (0..5).
	RuleDL map[int]int
	// IPOpts is the ip_options table; nil means the built-in table.
	IPOpts map[int]IPOption
	// PsadCompat reproduces psad's address and port handling exactly:
	// negation ignored, "<-" swaps addresses only, "<>" is "->", a port
	// list keeps its first number, and a leading option other than msg is
	// ignored. Without it these have their Snort meaning (spec 19, #11).
	PsadCompat bool
}

// Warning is a non-fatal problem found while loading.
type Warning struct {
	File string
	Line int
	Msg  string
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg)
	}
	return fmt.Sprintf("%s: %s", w.File, w.Msg)
}

// ParseError is a fatal problem in a signature or companion file.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Set is a loaded signature file. It is read-only after loading, so one
// Set may be used by many goroutines at once.
type Set struct {
	sigs  []*Sig // file order
	byID  map[int]*Sig
	maxID int
	tcp   portIndex
	udp   portIndex
	icmp  icmpIndex
	// ip signatures, sorted by ID, split by what a packet must have for
	// them to be worth evaluating (IP options; src equal to dst), since
	// ip signatures meet every IPv4 packet.
	ip, ipOpts, ipSame gatedList
	optTab             optTable
	// exactDsize computes dsize from the logged header lengths (Snort's
	// meaning) instead of psad's fixed allowances; see Match.
	exactDsize bool
}

// Len returns the number of signatures.
func (s *Set) Len() int { return len(s.sigs) }

// Lookup returns the signature with that ID (sid, or psad_id for
// signatures without sid), or nil.
func (s *Set) Lookup(id int) *Sig { return s.byID[id] }

// All returns the signatures in file order. The slice is a copy; the
// signatures are shared and must not be modified.
func (s *Set) All() []*Sig { return slices.Clone(s.sigs) }

// NextID returns max(every psad_id and sid)+1, psad's
// --get-next-rule-id answer.
func (s *Set) NextID() int { return s.maxID + 1 }

// Hit is one signature matching a packet.
type Hit struct {
	Sig *Sig
	DL  int
}

// Load reads the signature file at path.
func Load(path string, o Options) (*Set, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return Parse(f, path, o)
}

// Parse reads a psad signature file from r; name is used in messages.
// A fatal problem returns a *ParseError.
func Parse(r io.Reader, name string, o Options) (*Set, []Warning, error) {
	p := newParser(name, o)
	if err := p.run(r); err != nil {
		return nil, p.warns, err
	}
	return p.build(), p.warns, nil
}
