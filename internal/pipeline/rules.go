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

	"github.com/psadgo/psad/internal/config"
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
	v = strings.TrimSpace(v)
	if v == "NONE" {
		return nil, nil
	}
	return interfaces(splitList(v))
}

// interfaces is ParseInterfaces over entries already split and trimmed.
func interfaces(list []string) (map[string]bool, []string) {
	if len(list) == 0 {
		return nil, nil
	}
	var warn []string
	m := make(map[string]bool)
	for _, f := range list {
		if !validIntf(f) {
			warn = append(warn, fmt.Sprintf("IGNORE_INTERFACES: invalid interface name %q skipped", f))
			continue
		}
		m[f] = true
	}
	return m, warn
}

// splitList splits a comma-separated value into trimmed, non-empty
// entries.
func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
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
	if v == "NONE" {
		return t, nil
	}
	return ignoreProtocols(splitList(v), names)
}

// ignoreProtocols is ParseIgnoreProtocols over entries already split and
// trimmed.
func ignoreProtocols(list []string, names ProtoNamer) (t [fwlog.NumProtoIndex]bool, warn []string) {
	if len(list) == 0 {
		return t, nil
	}
	keys := make(map[string]bool)
	for _, f := range list {
		f = strings.ToLower(f)
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

// ParseIgnorePorts parses IGNORE_PORTS ("tcp/22, udp/53, tcp/6000-6010")
// into destination port bitmaps, with psad's rules (see
// [config.ParsePorts]).
func ParseIgnorePorts(v string) (tcp, udp *[1024]uint64, err error) {
	t, u, err := config.ParsePorts(v)
	if err != nil {
		return nil, nil, fmt.Errorf("IGNORE_PORTS: %w", err)
	}
	return portSet(t), portSet(u), nil
}

// portSet turns port ranges into a bitmap; nil when there are none, so
// the per-packet check is a nil test.
func portSet(rs []config.PortRange) *[1024]uint64 {
	if len(rs) == 0 {
		return nil
	}
	set := new([1024]uint64)
	for _, r := range rs {
		for p := int(r.Lo); p <= int(r.Hi); p++ {
			set[p>>6] |= 1 << (p & 63)
		}
	}
	return set
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
