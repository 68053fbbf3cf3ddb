package scan

import (
	"sort"

	"github.com/psadgo/psad/internal/fwlog"
)

// NmapLabel is the nmap option that sends a TCP flag combination, as psad
// names it. A dropping firewall cannot tell -sS from -sT: both start with
// a bare SYN and the difference lies in what follows a SYN-ACK.
//
// psad labels only SYN, FIN, NULL, XMAS and the OS-detection probe; we
// also name ACK (-sA, and -sW which sends the same probe) and ACK FIN
// (Maimon, -sM), see docs/compat.md.
func NmapLabel(f fwlog.TCPFlags) string {
	switch f {
	case fwlog.FlagSYN:
		return "-sT or -sS"
	case fwlog.FlagFIN:
		return "-sF"
	case 0:
		return "-sN"
	case fwlog.FlagURG | fwlog.FlagPSH | fwlog.FlagFIN:
		return "-sX"
	case fwlog.FlagURG | fwlog.FlagPSH | fwlog.FlagSYN | fwlog.FlagFIN:
		return "-O"
	case fwlog.FlagACK:
		return "-sA"
	case fwlog.FlagACK | fwlog.FlagFIN:
		return "-sM"
	}
	return ""
}

// SortedFlags returns the batch's TCP flag combinations by packet count,
// most first, then by flag string (psad's order is Perl hash order).
func (b *Batch) SortedFlags() []FlagCount {
	fl := append([]FlagCount(nil), b.Flags()...)
	sort.Slice(fl, func(i, j int) bool {
		if fl[i].Pkts != fl[j].Pkts {
			return fl[i].Pkts > fl[j].Pkts
		}
		return fl[i].Flags.String() < fl[j].Flags.String()
	})
	return fl
}

// Pkts returns the batch's packet count for a protocol.
func (b *Batch) ProtoPkts(proto uint8) int {
	for _, pc := range b.Pkts() {
		if pc.Proto == proto {
			return int(pc.Pkts)
		}
	}
	return 0
}

// Style is the scan description of a pair in the current batch, the text
// in parentheses of psad's "scan detected (...)" syslog line (detection
// spec 8.4): nmap options per flag combination, special scanners (port
// sweep, Topera, Masscan, Mirai), UDP and IP protocol scans. It needs the
// batch detail (Settings.NoBatchDetail false); "" when there is none.
func (t *Tracker) Style(pair *Pair) string {
	b := pair.Batch
	if b == nil || b.No != t.batchNo && b.No != t.batchNo-1 {
		return ""
	}
	style := ""
	if b.TotProtocols() >= t.set.ProtocolScanThreshold {
		style = "Nmap -sO IP protocol scan,"
	}
	for _, fc := range b.SortedFlags() {
		f := fc.Flags.String()
		switch {
		case pair.PortSweep:
			style = "Port sweep " + f + " scan"
		case b.Topera:
			style = "Topera " + f + " scan"
		case b.Masscan:
			style = "Masscan " + f + " scan"
		case b.Mirai:
			style = "Mirai botnet default credentials scan"
		case style == "":
			style = "Nmap " + NmapLabel(fc.Flags) + " scan,"
		default:
			style += " " + NmapLabel(fc.Flags) + " scan,"
		}
	}
	if b.ProtoPkts(fwlog.ProtoUDP) > 0 {
		style += " -sU scan,"
	}
	if n := len(style); n > 0 && style[n-1] == ',' {
		style = style[:n-1]
	}
	if len(style) > 0 && style[0] == ' ' {
		style = style[1:]
	}
	return style
}
