// Package pipeline is the path every log line takes in psad: parse, apply
// the ignore rules of psad.conf and the command line, then hand the packet
// to the scan state. Analysis mode, CSV mode, the benchmark and the daemon
// all use it, so a line is judged the same way everywhere.
package pipeline

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/psadgo/psad/internal/fwlog"
)

// Rules are the ignore rules of psad (detection spec 3.3-3.13), compiled
// once so that checking a packet costs a few table look-ups.
type Rules struct {
	// IgnoreLogPrefixes is IGNORE_LOG_PREFIXES; nil for NONE.
	IgnoreLogPrefixes *regexp.Regexp
	// Interface is -i/--interface: only this interface is kept.
	Interface string
	// IgnoreInterfaces is IGNORE_INTERFACES.
	IgnoreInterfaces map[string]bool
	// FWSearchAll is FW_SEARCH_ALL; when false a line must match one of
	// FWMsgSearch unless it carries an fwsnort SID.
	FWSearchAll bool
	FWMsgSearch []*regexp.Regexp
	// IPv6 is ENABLE_IPV6_DETECTION.
	IPv6 bool
	// IgnoreProto marks ignored protocol numbers (IGNORE_PROTOCOLS).
	IgnoreProto [fwlog.NumProtoIndex]bool
	// Conntrack is IGNORE_CONNTRACK_BUG_PKTS: drop TCP ACK/RST packets.
	Conntrack bool
	// IgnoreTCP and IgnoreUDP are IGNORE_PORTS bitmaps of destination ports.
	IgnoreTCP, IgnoreUDP *[65536 / 64]uint64
	// Restrict is --restrict-ip; the zero prefix means none.
	Restrict netip.Prefix
}

// DefaultRules are psad's shipped settings.
func DefaultRules() Rules {
	return Rules{FWSearchAll: true, IPv6: true, Conntrack: true}
}

// ParsePrefixRegexp compiles IGNORE_LOG_PREFIXES ("NONE" disables it).
func ParsePrefixRegexp(v string) (*regexp.Regexp, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "NONE" {
		return nil, nil
	}
	re, err := regexp.Compile(v)
	if err != nil {
		return nil, fmt.Errorf("IGNORE_LOG_PREFIXES: %w", err)
	}
	return re, nil
}

// ParseInterfaces parses IGNORE_INTERFACES. psad skips (with a warning)
// entries that are not made of word characters, dots and colons.
func ParseInterfaces(v string) (map[string]bool, []string) {
	var warn []string
	v = strings.TrimSpace(v)
	if v == "" || v == "NONE" {
		return nil, nil
	}
	m := make(map[string]bool)
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !validIntf(f) {
			warn = append(warn, fmt.Sprintf("IGNORE_INTERFACES: invalid interface name %q skipped", f))
			continue
		}
		m[f] = true
	}
	return m, warn
}

func validIntf(s string) bool {
	for _, c := range s {
		if !(c == '_' || c == '.' || c == ':' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// ProtoNamer maps protocol numbers and names for IGNORE_PROTOCOLS; it is
// the protocols file.
type ProtoNamer interface {
	Name(num int) (name, desc string, ok bool)
	Number(name string) (int, bool)
}

// ParseIgnoreProtocols parses IGNORE_PROTOCOLS into a table indexed by
// protocol number. psad compares protocol keys ("tcp", "icmp6", "47"), so
// an entry ignores a protocol when the entry, or the protocols file's
// name or number for it, equals that protocol's key. This keeps psad's
// consequence that "58" does not ignore ICMPv6 (whose key is "icmp6").
func ParseIgnoreProtocols(v string, names ProtoNamer) (t [fwlog.NumProtoIndex]bool, warn []string) {
	v = strings.TrimSpace(v)
	if v == "" || v == "NONE" {
		return t, nil
	}
	keys := make(map[string]bool)
	for _, f := range strings.Split(v, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !isWord(f) {
			warn = append(warn, fmt.Sprintf("IGNORE_PROTOCOLS: invalid protocol %q skipped", f))
			continue
		}
		keys[f] = true
		if n, err := strconv.Atoi(f); err == nil {
			if names != nil {
				if name, _, ok := names.Name(n); ok {
					keys[strings.ToLower(name)] = true
				}
			}
		} else if names != nil {
			if n, ok := names.Number(f); ok {
				keys[strconv.Itoa(n)] = true
			}
		}
	}
	for i := range t {
		t[i] = keys[fwlog.IndexKey(i)]
	}
	return t, warn
}

func isWord(s string) bool {
	for _, c := range s {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// ParseIgnorePorts parses IGNORE_PORTS ("tcp/22, udp/53, tcp/6000-6010").
// As in psad a range is kept only when low < high, and only TCP and UDP
// destination ports are ever ignored.
func ParseIgnorePorts(v string) (tcp, udp *[1024]uint64, err error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "NONE" {
		return nil, nil, nil
	}
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		l := strings.ToLower(f)
		var set **[1024]uint64
		switch {
		case strings.Contains(l, "tcp/"):
			set = &tcp
			l = l[strings.Index(l, "tcp/")+4:]
		case strings.Contains(l, "udp/"):
			set = &udp
			l = l[strings.Index(l, "udp/")+4:]
		default:
			return nil, nil, fmt.Errorf("IGNORE_PORTS: %q: want tcp/PORT, tcp/LOW-HIGH, udp/PORT or udp/LOW-HIGH", f)
		}
		lo, hi, ok := parsePortRange(l)
		if !ok {
			return nil, nil, fmt.Errorf("IGNORE_PORTS: %q: bad port or range", f)
		}
		if lo > hi {
			continue
		}
		if *set == nil {
			*set = new([1024]uint64)
		}
		for p := lo; p <= hi; p++ {
			(*set)[p>>6] |= 1 << (p & 63)
		}
	}
	return tcp, udp, nil
}

func parsePortRange(s string) (lo, hi int, ok bool) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil || lo < 0 || lo > 65535 {
		return 0, 0, false
	}
	if !isRange {
		return lo, lo, true
	}
	hi, err = strconv.Atoi(strings.TrimSpace(b))
	if err != nil || hi < 0 || hi > 65535 {
		return 0, 0, false
	}
	if lo >= hi {
		// psad stores a range only when low < high: "tcp/5-5" ignores nothing.
		return 1, 0, true
	}
	return lo, hi, true
}

// ParseRestrict parses --restrict-ip: an IPv4 or IPv6 address or network.
func ParseRestrict(v string) (netip.Prefix, error) {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("--restrict-ip %q: %w", v, err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("--restrict-ip %q: %w", v, err)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
