package sig

import (
	"fmt"
	"strconv"
	"strings"
)

// IPOption is one entry of psad's ip_options table (IP_OPTS_FILE).
type IPOption struct {
	// Keyword is the name used by ipopts:, e.g. "rr".
	Keyword string
	// Len is the option's fixed length in bytes, or -1 when the option
	// carries its own length byte.
	Len  int
	Desc string
}

// builtinIPOpts is used when Options.IPOpts is nil. Values and lengths
// are the IANA "IP Option Numbers" registry (RFC 791, 1108, 1393, 2113,
// 1063, 1770); keywords are Snort's ipopts names where Snort has one
// (eol nop rr ts sec esec lsrr lsrre ssrr satid) and the registry's
// abbreviation in lower case otherwise.
var builtinIPOpts = map[int]IPOption{
	0:   {"eol", 1, "End of Options List (RFC 791)"},
	1:   {"nop", 1, "No Operation (RFC 791)"},
	7:   {"rr", -1, "Record Route (RFC 791)"},
	10:  {"zsu", -1, "Experimental Measurement"},
	11:  {"mtup", 4, "MTU Probe (RFC 1063)"},
	12:  {"mtur", 4, "MTU Reply (RFC 1063)"},
	68:  {"ts", -1, "Time Stamp (RFC 791)"},
	82:  {"tr", 12, "Traceroute (RFC 1393)"},
	130: {"sec", -1, "Security (RFC 1108)"},
	131: {"lsrr", -1, "Loose Source Route (RFC 791)"},
	132: {"lsrre", -1, "Loose Source Route, extended (Snort lsrre)"},
	133: {"esec", -1, "Extended Security (RFC 1108)"},
	134: {"cipso", -1, "Commercial Security"},
	136: {"satid", 4, "Stream ID (RFC 791)"},
	137: {"ssrr", -1, "Strict Source Route (RFC 791)"},
	142: {"visa", -1, "Experimental Access Control"},
	144: {"imitd", -1, "IMI Traffic Descriptor"},
	145: {"eip", -1, "Extended Internet Protocol (RFC 1385)"},
	147: {"addext", -1, "Address Extension"},
	148: {"rtralt", 4, "Router Alert (RFC 2113)"},
	149: {"sdb", -1, "Selective Directed Broadcast (RFC 1770)"},
	151: {"dps", -1, "Dynamic Packet State"},
	152: {"ump", -1, "Upstream Multicast Packet"},
	205: {"finn", -1, "Experimental Flow Control"},
}

// optTable is the decoding form of an ip_options table.
type optTable struct {
	known [256]bool
	len   [256]int
	kw    map[string]optMask // lower-cased keyword -> values
}

type optMask [4]uint64

func (m *optMask) set(v int)            { m[v>>6] |= 1 << (v & 63) }
func (m *optMask) hits(o *optMask) bool { return m[0]&o[0]|m[1]&o[1]|m[2]&o[2]|m[3]&o[3] != 0 }

func newOptTable(t map[int]IPOption) optTable {
	if t == nil {
		t = builtinIPOpts
	}
	ot := optTable{kw: make(map[string]optMask)}
	for v, o := range t {
		if v < 0 || v > 255 {
			continue
		}
		ot.known[v] = true
		ot.len[v] = o.Len
		k := strings.ToLower(o.Keyword)
		m := ot.kw[k]
		m.set(v)
		ot.kw[k] = m
	}
	return ot
}

// decode returns the set of option values psad records for the logged
// option hex string h (spec 9.5). It reproduces psad's stepping,
// including landing one byte short of the next option after a
// variable-length option and one byte past it after a fixed-length one.
// It stops on a length byte below 2, where psad's loop would not advance.
func (t *optTable) decode(h []byte) (m optMask) {
	if len(h)%2 != 0 {
		return m
	}
	n := len(h) / 2
	last := n - 1
	at := func(i int) int {
		hi, lo := hexVal(h[2*i]), hexVal(h[2*i+1])
		if hi < 0 || lo < 0 {
			return -1
		}
		return hi<<4 | lo
	}
	for i := 0; i < n; i++ {
		v := at(i)
		if v < 0 {
			return optMask{}
		}
		if !t.known[v] {
			continue
		}
		if l := t.len[v]; l != -1 {
			if l != 1 {
				i += l
			}
		} else {
			if i+1 > last {
				break
			}
			l := at(i+1) - 2
			if l < 0 {
				break
			}
			if i+l > last {
				break // truncated: not recorded
			}
			i += l
		}
		m.set(v)
	}
	return m
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// LoadIPOptions reads psad's ip_options file: lines
// "<value> <length or -1> <keyword> <description>", blank lines and
// "#" comments skipped.
func LoadIPOptions(path string) (map[int]IPOption, error) {
	t := make(map[int]IPOption)
	if err := scanLines(path, ipOptionLine(t, path)); err != nil {
		return nil, err
	}
	return t, nil
}

// ipOptionLine is LoadIPOptions' rule for one line of the file name.
func ipOptionLine(t map[int]IPOption, name string) func(string, int) error {
	return func(line string, ln int) error {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			return nil
		}
		fs := strings.Fields(line)
		if len(fs) < 3 {
			return &ParseError{name, ln, fmt.Sprintf("bad ip_options line %q", line)}
		}
		v, err1 := strconv.Atoi(fs[0])
		l, err2 := strconv.Atoi(fs[1])
		if err1 != nil || err2 != nil || v < 0 || v > 255 || l < -1 || l > 40 {
			return &ParseError{name, ln, fmt.Sprintf("bad ip_options line %q", line)}
		}
		t[v] = IPOption{Keyword: fs[2], Len: l, Desc: strings.Join(fs[3:], " ")}
		return nil
	}
}
