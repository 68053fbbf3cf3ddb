// Package icmptype holds the tables of valid ICMP and ICMPv6 types and
// codes that psad checks every ICMP packet against (ICMP_TYPES_FILE and
// ICMP6_TYPES_FILE, psad's import_icmp_types and check_icmp_type).
//
// A table is read from psad's file format, parsed the way psad parses
// it, quirks included, so psad's own files give psad's results. IPv4 and
// IPv6 return built-in tables written from the IANA registries for use
// when no file is configured.
package icmptype

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Table is one parsed types file. A Table is read-only once built and
// safe for concurrent use.
type Table struct {
	defined [256]bool
	names   [256]string
	codes   [256][4]uint64 // bit c set: code c is valid
}

// Check reports whether typ is a defined type and, if it is, whether code
// is one of its valid codes. typeOK false is psad's "invalid type";
// typeOK true and codeOK false is its "invalid code". Values outside
// 0..255 are never valid.
func (t *Table) Check(typ, code int) (typeOK, codeOK bool) {
	if typ < 0 || typ > 255 || !t.defined[typ] {
		return false, false
	}
	if code < 0 || code > 255 {
		return true, false
	}
	return true, t.codes[typ][code>>6]&(1<<(code&63)) != 0
}

// TypeName returns the text of the type's line, the name psad quotes in
// "Invalid ICMP code" report and alert lines ("Echo" for type 8 in psad's
// file), or "" when the type is not defined.
func (t *Table) TypeName(typ int) string {
	if typ < 0 || typ > 255 {
		return ""
	}
	return t.names[typ]
}

// Load reads a types file in psad's format from path.
func Load(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("icmp types: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// noType stands for a type line whose number psad keeps under a hash key
// no packet can look up ("08", "300"): its code lines are consumed and
// ignored.
const noType = 256

// Parse reads a types file in psad's format from r; name is used in error
// messages. It reproduces import_icmp_types line by line, so every text
// psad accepts gives the same table:
//
//   - a line whose first non-blank character is '#' is a comment;
//   - a type line is digits in column 0 followed by at least one blank
//     and the rest of the line, its text. The blank may be the line's
//     own newline, so "8\n" defines type 8 with an empty name but "8" on
//     a last line without a newline is ignored. A text containing
//     "unassigned" in any case leaves the type undefined and makes the
//     following code lines belong to nothing;
//   - a code line is blanks, digits, at least one blank (again possibly
//     the newline) and a text; it adds the code to the most recent
//     defined type unless its text contains "unassigned";
//   - a type without code lines is defined but has no valid code;
//   - numbers are hash keys in psad, so "08" or "300" are kept but can
//     never match a packet's type or code;
//   - anything else is ignored. psad never rejects the file.
//
// One difference: a trailing carriage return is removed from names, so a
// file with CRLF line ends does not put "\r" into reports.
//
// Only a read error is returned.
func Parse(r io.Reader, name string) (*Table, error) {
	t := new(Table)
	cur := -1
	br := bufio.NewReader(r)
	for {
		line, rerr := br.ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return nil, fmt.Errorf("icmp types: reading %s: %w", name, rerr)
		}
		if line != "" {
			cur = t.line(line, cur)
		}
		if rerr == io.EOF {
			break
		}
	}
	return t, nil
}

// line applies one line (with its newline, if it had one) and returns the
// new current type: -1 for none, noType for an unreachable key.
func (t *Table) line(line string, cur int) int {
	i := 0
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if i < len(line) && line[i] == '#' {
		return cur
	}
	if i == 0 {
		num, rest, ok := numBlanks(line)
		if !ok {
			return cur
		}
		text := strings.TrimSuffix(rest, "\r")
		if containsFold(text, "unassigned") {
			return -1
		}
		typ := key(num)
		if typ < 0 {
			return noType
		}
		t.defined[typ] = true
		t.names[typ] = text
		return typ
	}
	num, rest, ok := numBlanks(line[i:])
	if !ok || cur < 0 {
		return cur
	}
	if containsFold(rest, "unassigned") || cur == noType {
		return cur
	}
	if c := key(num); c >= 0 {
		t.codes[cur][c>>6] |= 1 << (c & 63)
	}
	return cur
}

// numBlanks matches psad's (\d+)\s+(.*) at the start of s: digits, at
// least one blank (a newline counts), then the text up to the newline.
func numBlanks(s string) (num, text string, ok bool) {
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 0 || j == len(s) || !isSpace(s[j]) {
		return "", "", false
	}
	num = s[:j]
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	text = strings.TrimSuffix(s[j:], "\n")
	return num, text, true
}

// key returns the number a packet field would have to print as to find
// this hash key, or -1 when none can: the kernel prints types and codes
// in 0..255 without leading zeros.
func key(num string) int {
	if len(num) > 3 || len(num) > 1 && num[0] == '0' {
		return -1
	}
	n := 0
	for i := 0; i < len(num); i++ {
		n = n*10 + int(num[i]-'0')
	}
	if n > 255 {
		return -1
	}
	return n
}

// isSpace is Perl's \s on byte strings.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// containsFold is psad's /unassigned/i.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

//go:embed icmp_types
var icmp4Text string

//go:embed icmp6_types
var icmp6Text string

func mustParse(text, name string) *Table {
	t, err := Parse(strings.NewReader(text), name)
	if err != nil {
		panic(errors.Join(errors.New("icmptype: built-in table"), err)) // reading a string cannot fail
	}
	return t
}

var (
	ipv4 = sync.OnceValue(func() *Table { return mustParse(icmp4Text, "(built-in icmp_types)") })
	ipv6 = sync.OnceValue(func() *Table { return mustParse(icmp6Text, "(built-in icmp6_types)") })
)

// IPv4 returns the built-in ICMP table, written from IANA's "ICMP Type
// Numbers" registry in psad's file format (see the comments in the
// icmp_types file of this package for the choices made). Type names
// match the ones psad's shipped file uses wherever both list a type.
// The same *Table is returned on every call; do not modify it.
func IPv4() *Table { return ipv4() }

// IPv6 returns the built-in ICMPv6 table, written from IANA's "ICMPv6
// Parameters" registry. Unlike psad's shipped file it makes 137 Redirect
// valid and knows the types registered since (143 MLDv2 reports among
// them). Reserved, private-experimentation and experimental types are
// defined without valid codes, so they are named in reports and every
// such packet counts as an invalid code. The same *Table is returned on
// every call; do not modify it.
func IPv6() *Table { return ipv6() }

// IPv4Text and IPv6Text are the built-in tables in psad's file format,
// for installing them as files.
func IPv4Text() []byte { return []byte(icmp4Text) }

// IPv6Text is the built-in ICMPv6 table; see IPv4Text.
func IPv6Text() []byte { return []byte(icmp6Text) }
