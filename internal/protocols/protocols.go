// Package protocols reads psad's protocols file, the table that turns IP
// protocol numbers into the names and descriptions psad prints for protocol
// counters (for example "igmp: 4 pkts, (Internet Group Management)") and
// that lets IGNORE_PROTOCOLS name a protocol either way.
package protocols

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Table maps protocol numbers to names and back. A Table is read-only after
// it is built and safe for concurrent use.
type Table struct {
	byNum  map[int]entry
	byName map[string]int
}

type entry struct {
	name, desc string
}

// Load reads the protocols file at path (PROTOCOLS_FILE).
func Load(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("protocols: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a protocols file from r; name is used in error messages.
//
// Each non-comment line is "name number [aliases...] [# description]".
// Lines whose first non-blank character is '#' and blank lines are
// skipped, as are lines without a name and a protocol number in 0..255:
// psad never rejects its protocols file, so neither do we. When a number
// or a name appears twice the first line wins, which keeps Name(84) stable
// for registries that list two keywords for one number.
func Parse(r io.Reader, name string) (*Table, error) {
	t := &Table{byNum: map[int]entry{}, byName: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		body, desc, _ := strings.Cut(line, "#")
		f := strings.Fields(body)
		if len(f) < 2 {
			continue
		}
		num, err := strconv.Atoi(f[1])
		if err != nil || num < 0 || num > 255 || f[1][0] == '+' {
			continue
		}
		if _, dup := t.byNum[num]; !dup {
			t.byNum[num] = entry{name: f[0], desc: strings.TrimSpace(desc)}
		}
		if _, dup := t.byName[f[0]]; !dup {
			t.byName[f[0]] = num
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("protocols: reading %s: %w", name, err)
	}
	return t, nil
}

// Name returns the name and description of protocol num and reports
// whether the table knows it. The description is "" when the line had
// none.
func (t *Table) Name(num int) (name, desc string, ok bool) {
	e, ok := t.byNum[num]
	return e.name, e.desc, ok
}

// Number returns the number of the protocol called name. The match is
// exact and case-sensitive on the first column only, as psad's
// IGNORE_PROTOCOLS lookup is: "igmp" is found, "IGMP" is not.
func (t *Table) Number(name string) (int, bool) {
	n, ok := t.byName[name]
	return n, ok
}

// Len returns the number of protocol numbers in the table.
func (t *Table) Len() int { return len(t.byNum) }

//go:embed protocols
var defaultText string

var defaultTable = sync.OnceValue(func() *Table {
	t, err := Parse(strings.NewReader(defaultText), "(embedded protocols)")
	if err != nil {
		panic(err) // reading from a string cannot fail
	}
	return t
})

// Default returns the built-in table, taken from IANA's Assigned Internet
// Protocol Numbers registry, for use when no protocols file is available.
// Keywords are lower-cased IANA keywords, so some differ from the names in
// psad's shipped file (4 is "ipv4", not "ipencap"; 0 is "hopopt", not
// "ip"). The same *Table is returned on every call; do not modify it.
func Default() *Table { return defaultTable() }

// DefaultText is the built-in table as a file in the protocols format.
func DefaultText() []byte { return []byte(defaultText) }
