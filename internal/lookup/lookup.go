// Package lookup enriches alerts with reverse DNS names and whois records,
// the two network lookups psad runs for the addresses in an alert
// (operations spec 6.6).
//
// psad ran both synchronously inside the alert cycle and shelled out to the
// whois binary; here [Whois] speaks RFC 3912 itself (no shell, no killall on
// time-out), [Reverse] applies a timeout psad did not have, and [Cache] runs
// both in the background so the daemon's packet loop never waits on the
// network.
//
// Everything a lookup returns is controlled by whoever runs the queried
// servers, which for a scanning source is often the attacker (spec 14, item
// 10). [Reverse] therefore only returns names that look like host names, and
// whois text must pass through [Sanitize] before it reaches an email or a
// terminal; [Cache] does that itself.
package lookup

import "strings"

// maxHostname is the longest presentation-format DNS name (RFC 1035 limits
// names to 255 octets on the wire, which is 253 characters without the
// trailing dot).
const maxHostname = 253

// validHostname reports whether s is a plausible host name: dot-separated
// labels of 1 to 63 letters, digits and hyphens, at most 253 characters,
// without a trailing dot. It is deliberately stricter than DNS, which allows
// any octet in a label: names end up in mail subjects and terminal output,
// where anything else is at best noise and at worst header or escape-sequence
// injection.
func validHostname(s string) bool {
	if s == "" || len(s) > maxHostname {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-':
			default:
				return false
			}
		}
	}
	return true
}
