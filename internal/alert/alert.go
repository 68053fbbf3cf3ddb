// Package alert composes psad's scan alert texts: the email body and
// subject (operations spec 6.1) and the syslog lines (6.4.2, 6.4.3). It is
// pure text: no I/O, no clock, no lookups. Everything beyond the scan
// state arrives in an [Info], so the daemon and analysis mode build the
// same text and tests can pin it.
//
// Much of what an alert shows is chosen by the attacker: the log prefix
// and syslog host of forged log lines, reverse-DNS names, whois records,
// signature messages read from rule files. psad copies these verbatim into
// a mail it sends through the shell; here every such string is made safe
// before it is placed (see [Clean]), so none of it can start a line, add a
// mail header or carry terminal control sequences.
package alert

import (
	"time"

	"github.com/psadgo/psad/internal/scan"
)

// Info is what an alert needs beyond the scan state of the pair. Fields
// left at their zero value switch the corresponding output off, as the
// matching psad option would.
type Info struct {
	// Version, ProgPath and Hostname are psad's version ("2.4.6"), the path
	// of the running binary and HOSTNAME. The 2.4.6 alert layout prints
	// none of them (HEAD's "psad Alert:" line prints the first two); they
	// are carried for status mails built from the same Info.
	Version, ProgPath, Hostname string
	// Now is the time of composition, printed in the banners. It is
	// formatted in its own location, so pass local time for psad's output.
	Now time.Time

	// DL is the source's current danger level.
	DL   int
	Src  *scan.Source
	Pair *scan.Pair
	// ScanDsts is the number of destinations of the source in the batch
	// ("Scanned destinations", "total scan dsts").
	ScanDsts int
	// Style is [scan.Tracker.Style] of the pair.
	Style string
	// TotalEmailAlerts is the email counter of the source or pair (6.3).
	TotalEmailAlerts int

	// DNSLookups reports whether reverse DNS is enabled for this mode; then
	// the DNS lines are printed and an empty SrcDNS/DstDNS shows psad's
	// "[No reverse dns info available]". When it is false a non-empty name
	// still prints its line, so callers may simply leave the names empty
	// when lookups are off.
	DNSLookups     bool
	SrcDNS, DstDNS string
	// Whois is the whois text, "" when whois is off. WhoisDst reports that
	// it is the destination's record (ENABLE_WHOIS_FORCE_SRC_IP=N with a
	// local source), which the section header names.
	Whois    string
	WhoisDst bool

	// OSGuesses are the source's p0f guesses, PosfGuess its TOS-based
	// guess; both empty with --no-passive-os.
	OSGuesses []string
	PosfGuess string

	// Sigs returns the details of a signature id: message, protocol,
	// classtype, formatted reference lines ("(url) http://..."), whether
	// the id is a psad_id (no original Snort sid) and the sids it was
	// derived from. ok is false for an unknown id. Nil prints the bare id.
	Sigs func(id int) (msg, proto, classtype string, refs []string, psadID bool, derived []int, ok bool)
	// SigDetail returns the content strings and metadata items of an
	// fwsnort rule (printed only for fwsnort matches); nil prints none.
	SigDetail func(id int) (contents, metadata []string)
	// ICMPTypeName names an ICMP (v6 false) or ICMPv6 type for the
	// invalid-code lines; nil prints the number.
	ICMPTypeName func(v6 bool, typ int) string
	// ProtoName names a numeric protocol for the Global stats table (the
	// PROTOCOLS_FILE name, "" when unknown); nil prints the number.
	ProtoName func(num int) string

	// ProtocolScanThreshold is PROTOCOL_SCAN_THRESHOLD; 0 means psad's
	// default of 5.
	ProtocolScanThreshold int
	// MACReporting is ENABLE_MAC_ADDR_REPORTING.
	MACReporting bool
	// SnortSIDStr is SNORT_SID_STR, which marks fwsnort log prefixes; ""
	// turns the fwsnort renaming of chains off.
	SnortSIDStr string
	// LocalPorts reports whether a server is bound to a local port (psad
	// 3.16) for the "dst port" lines of INPUT matches; known false, or a
	// nil func, prints the port without psad's parenthetical.
	LocalPorts func(proto string, port int) (bound bool, known bool)
	// Analysis marks an alert of -A --analysis-write-data, whose subject
	// says "(analysis mode)".
	Analysis bool
}

// protocolScanThreshold is psad's default PROTOCOL_SCAN_THRESHOLD.
const protocolScanThreshold = 5

func (in *Info) protoThreshold() int {
	if in.ProtocolScanThreshold > 0 {
		return in.ProtocolScanThreshold
	}
	return protocolScanThreshold
}
