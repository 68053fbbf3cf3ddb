// Package autodl reads psad's auto_dl file (AUTO_DL_FILE), which gives
// chosen networks a fixed minimum danger level, or level 0 to make psad
// ignore them, optionally only for some protocols and ports.
//
// psad keeps the entries in a hash and so visits overlapping entries in an
// unpredictable order; this package checks the most specific network
// first (longest prefix, then file order) so that the answer is
// deterministic and a host entry beats the network around it.
package autodl

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gaissmai/bart"

	"github.com/psadgo/psad/internal/netset"
)

// IP protocol numbers the protocol criteria can name.
const (
	protoICMP    uint8 = 1
	protoTCP     uint8 = 6
	protoUDP     uint8 = 17
	protoUDPLite uint8 = 136
)

// List is a parsed auto_dl file. It is read-only after Parse and safe for
// concurrent use.
type List struct {
	entries []Entry

	// byPrefix indexes entries by their masked network so that Match
	// costs one trie walk however large the file is (a linear scan made
	// -A 23x slower with 10,000 networks). Each value holds every entry
	// of that network in match order, since entries sharing a network but
	// differing in protocol criteria must all be tried in turn.
	byPrefix bart.Table[[]*Entry]
}

// Entry is one network of the file with its level and protocol criteria.
type Entry struct {
	Prefix netip.Prefix
	Level  int // 0..5; 0 means "ignore this source"
	Line   int // 1-based line number in the file

	// AllProtocols is true when the line mentions no protocol at all; the
	// fields below are then unused.
	AllProtocols bool
	ICMP         bool // every ICMP packet (IPv4 ICMP only, as in psad)
	TCP, UDP     bool // the protocol is mentioned on the line
	UDPLite      bool
	// TCPPorts and UDPPorts restrict TCP and UDP to these destination
	// ports. Empty means every port of a mentioned protocol.
	TCPPorts, UDPPorts []PortRange
}

// PortRange is an inclusive destination port range; a single port has
// Low == High.
type PortRange struct{ Low, High int }

// Warning is a problem with one line that made psad skip it; psad writes
// these to syslog and carries on.
type Warning struct {
	Line int
	Msg  string
}

func (w Warning) String() string { return w.Msg }

// Resolver looks up the addresses of a host name. Only IPv4 results are
// used.
type Resolver func(host string) ([]netip.Addr, error)

// Load reads the auto_dl file at path, resolving host names with the
// system resolver (each lookup limited to five seconds, since the file is
// read at start-up and on every HUP).
func Load(path string) (*List, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("auto_dl: %w", err)
	}
	defer f.Close()
	return Parse(f, path, systemResolve)
}

func systemResolve(host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return net.DefaultResolver.LookupNetIP(ctx, "ip4", host)
}

// The four line forms of the auto_dl file, tried in this order against the
// text before the last ';'. The level is one digit 0..5 and must be
// followed by blanks or the end of that text.
var (
	reDotted = regexp.MustCompile(`^\s*(\d+\.\d+\.\d+\.\d+)\s*/\s*(\d+\.\d+\.\d+\.\d+)\s+([0-5])(?:\s+(.*))?$`)
	reLen    = regexp.MustCompile(`^\s*(\d+\.\d+\.\d+\.\d+)\s*/\s*(\d+)\s+([0-5])(?:\s+(.*))?$`)
	reHost4  = regexp.MustCompile(`^\s*(\d+\.\d+\.\d+\.\d+)\s+([0-5])(?:\s+(.*))?$`)
	reToken  = regexp.MustCompile(`^\s*(\S+)\s+([0-5])(?:\s+(.*))?$`)

	// Port criteria, searched like IGNORE_PORTS: a range first, then a
	// single port, anywhere in each comma-separated item.
	rePortRange = regexp.MustCompile(`(?i)(tcp|udp)/(\d+)\s*-\s*(\d+)`)
	rePort      = regexp.MustCompile(`(?i)(tcp|udp)/(\d+)`)
)

// Parse reads an auto_dl file from r. name is used in error messages and
// resolve looks up host names (once, at load time). Lines that cannot be
// used are skipped and reported as warnings; the error is only for read
// failures.
func Parse(r io.Reader, name string, resolve Resolver) (*List, []Warning, error) {
	l := &List{}
	var warns []Warning
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		bad := Warning{Line: n, Msg: fmt.Sprintf("improperly formatted auto_dl line %d", n)}
		semi := strings.LastIndexByte(line, ';')
		if semi < 0 {
			warns = append(warns, bad)
			continue
		}
		head := line[:semi]

		var prefixes []netip.Prefix
		var level, criteria string
		if m := reDotted.FindStringSubmatch(head); m != nil {
			p, err := netset.ParsePrefix(m[1] + "/" + m[2])
			if err != nil {
				warns = append(warns, bad)
				continue
			}
			prefixes, level, criteria = []netip.Prefix{p}, m[3], m[4]
		} else if m := reLen.FindStringSubmatch(head); m != nil {
			p, err := netset.ParsePrefix(m[1] + "/" + m[2])
			if err != nil || !p.Addr().Is4() {
				warns = append(warns, bad)
				continue
			}
			prefixes, level, criteria = []netip.Prefix{p}, m[3], m[4]
		} else if m := reHost4.FindStringSubmatch(head); m != nil {
			p, err := netset.ParsePrefix(m[1])
			if err != nil || !p.Addr().Is4() {
				warns = append(warns, bad)
				continue
			}
			prefixes, level, criteria = []netip.Prefix{p}, m[2], m[3]
		} else if m := reToken.FindStringSubmatch(head); m != nil {
			tok := m[1]
			level, criteria = m[2], m[3]
			switch {
			case strings.Contains(tok, ":"):
				p, err := netset.ParsePrefix(tok)
				if err != nil || !p.Addr().Is6() {
					warns = append(warns, bad)
					continue
				}
				prefixes = []netip.Prefix{p}
			case strings.Contains(tok, "/"):
				// Not an IPv4 network the forms above accept and not a
				// host name either.
				warns = append(warns, bad)
				continue
			default:
				addrs, err := resolve(tok)
				for _, a := range addrs {
					if a = a.Unmap(); a.Is4() {
						prefixes = append(prefixes, netip.PrefixFrom(a, 32))
					}
				}
				if len(prefixes) == 0 {
					msg := fmt.Sprintf("auto_dl line %d: could not resolve %q", n, tok)
					if err != nil {
						msg += ": " + err.Error()
					}
					warns = append(warns, Warning{Line: n, Msg: msg})
					continue
				}
			}
		} else {
			warns = append(warns, bad)
			continue
		}

		e := Entry{Line: n}
		e.Level, _ = strconv.Atoi(level)
		e.setCriteria(line, criteria)
		for _, p := range prefixes {
			e.Prefix = p
			l.entries = append(l.entries, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, warns, fmt.Errorf("auto_dl: reading %s: %w", name, err)
	}
	slices.SortStableFunc(l.entries, func(a, b Entry) int {
		return b.Prefix.Bits() - a.Prefix.Bits()
	})
	l.index()
	return l, warns, nil
}

// setCriteria fills the protocol fields of e.
//
// psad decides which protocols an entry covers by searching the whole line,
// not just the criteria: a comment after the ';' saying "tcp", or a host
// name containing "udp", restricts the entry to that protocol, and
// "udplite" also switches on UDP. We keep that rule so that existing files
// behave as they do under psad. Port lists come only from the criteria (the
// text between the level and the last ';').
func (e *Entry) setCriteria(line, criteria string) {
	low := strings.ToLower(line)
	e.ICMP = strings.Contains(low, "icmp")
	e.TCP = strings.Contains(low, "tcp")
	e.UDP = strings.Contains(low, "udp")
	e.UDPLite = strings.Contains(low, "udplite")
	e.AllProtocols = !e.ICMP && !e.TCP && !e.UDP
	if !e.TCP && !e.UDP {
		return
	}
	for _, item := range strings.Split(criteria, ",") {
		var proto string
		var pr PortRange
		if m := rePortRange.FindStringSubmatch(item); m != nil {
			lo, err1 := strconv.Atoi(m[2])
			hi, err2 := strconv.Atoi(m[3])
			// As for IGNORE_PORTS, a range is kept only when low < high,
			// so "tcp/5-5" adds nothing and (below) leaves TCP covering
			// every port.
			if err1 != nil || err2 != nil || lo >= hi {
				continue
			}
			proto, pr = m[1], PortRange{lo, hi}
		} else if m := rePort.FindStringSubmatch(item); m != nil {
			p, err := strconv.Atoi(m[2])
			if err != nil {
				continue
			}
			proto, pr = m[1], PortRange{p, p}
		} else {
			continue
		}
		if strings.EqualFold(proto, "tcp") {
			e.TCPPorts = append(e.TCPPorts, pr)
		} else {
			e.UDPPorts = append(e.UDPPorts, pr)
		}
	}
}

// covers reports whether a packet of protocol proto to dstPort satisfies
// the entry's protocol criteria.
func (e *Entry) covers(proto uint8, dstPort int) bool {
	if e.AllProtocols {
		return true
	}
	switch proto {
	case protoICMP:
		return e.ICMP
	case protoTCP:
		return e.TCP && portsMatch(e.TCPPorts, dstPort)
	case protoUDP:
		return e.UDP && portsMatch(e.UDPPorts, dstPort)
	case protoUDPLite:
		return e.UDPLite
	}
	return false
}

func portsMatch(ranges []PortRange, port int) bool {
	if len(ranges) == 0 {
		return true
	}
	for _, r := range ranges {
		if port >= r.Low && port <= r.High {
			return true
		}
	}
	return false
}

// Match applies the file to a packet from src, reproducing psad's auto_dl
// check (step 8 of the per-packet pipeline). curDL is the danger level src
// already has; proto is the IP protocol number and dstPort the TCP/UDP
// destination port (ignored for other protocols).
//
// Entries containing src are visited most specific first. The first with
// level 0 makes the packet ignored whatever its protocol criteria say, as
// in psad. Otherwise the first entry whose level exceeds curDL and whose
// criteria the packet satisfies assigns its level. When neither happens,
// Match returns 0, false, false.
func (l *List) Match(src netip.Addr, curDL int, proto uint8, dstPort int) (level int, ignore, assigned bool) {
	if l == nil {
		return 0, false, false
	}
	// netip.Prefix.Contains never matches a zoned address, and the trie
	// would ignore the zone; keep Contains' answer.
	if !src.IsValid() || src.Zone() != "" || l.byPrefix.Size() == 0 {
		return 0, false, false
	}
	host := netip.PrefixFrom(src, src.BitLen())
	// Supernets walks from the longest prefix to the shortest, and each
	// network's entries are already in file order, which is exactly the
	// order of the sorted entry list.
	for _, es := range l.byPrefix.Supernets(host) {
		for _, e := range es {
			if e.Level == 0 {
				return 0, true, false
			}
			if curDL < e.Level && e.covers(proto, dstPort) {
				return e.Level, false, true
			}
		}
	}
	return 0, false, false
}

// index fills byPrefix from the sorted entries.
func (l *List) index() {
	for i := range l.entries {
		e := &l.entries[i]
		p := e.Prefix.Masked()
		es, _ := l.byPrefix.Get(p)
		l.byPrefix.Insert(p, append(es, e))
	}
}

// Len returns the number of entries. A host name that resolved to several
// IPv4 addresses counts once per address.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.entries)
}

// Entries returns the entries in match order (most specific first).
func (l *List) Entries() []Entry {
	if l == nil {
		return nil
	}
	return slices.Clone(l.entries)
}
