package alert

import (
	"strconv"
	"strings"

	"github.com/psadgo/psad/internal/fwlog"
)

// ScanLine returns psad's "scan detected" syslog message of the pair
// (operations spec 6.4.2, detection spec 15.3):
//
//	scan detected[ (<style>):] <src> -> <dst>[ <range>][ tcp pkts: n][ udp pkts: n][ icmp pkts: n][ other proto pkts: n] DL: <dl> total scan dsts: <n>
//
// It keeps psad's quirks that scripts parsing the line may rely on: no
// colon without a style, and the UDP range replacing the TCP range and
// flags when the batch has both. It departs from psad in one place:
// ICMPv6, UDP-Lite and numeric-protocol packets are counted in "other
// proto pkts", a field psad declares but never fills (it looks the
// counts up in the wrong record), so an ICMPv6 or IP protocol scan line
// no longer claims to carry no packets.
func ScanLine(in *Info) string {
	var b strings.Builder
	b.WriteString("scan detected ")
	if st := Clean(in.Style); st != "" {
		b.WriteString("(")
		b.WriteString(st)
		b.WriteString("): ")
	}
	b.WriteString(addrString(in.Src.Addr))
	b.WriteString(" -> ")
	b.WriteString(addrString(in.Pair.Dst))
	if bt := in.Pair.Batch; bt != nil {
		tcp := bt.ProtoPkts(fwlog.ProtoTCP)
		udp := bt.ProtoPkts(fwlog.ProtoUDP)
		icmp := 0
		if !in.Src.Addr.Is6() {
			icmp = bt.ProtoPkts(fwlog.ProtoICMP)
		}
		total := 0
		for _, pc := range bt.Pkts() {
			total += int(pc.Pkts)
		}
		switch {
		case udp > 0:
			b.WriteString(" udp: [" + portRange(bt.Ranges[1]) + "]")
		case tcp > 0:
			b.WriteString(" tcp: [" + portRange(bt.Ranges[0]) + "] flags:")
			for _, fc := range bt.SortedFlags() {
				b.WriteString(" ")
				b.WriteString(fc.Flags.String())
			}
		}
		count := func(name string, n int) {
			if n > 0 {
				b.WriteString(" " + name + " pkts: " + strconv.Itoa(n))
			}
		}
		count("tcp", tcp)
		count("udp", udp)
		count("icmp", icmp)
		count("other proto", total-tcp-udp-icmp)
	}
	b.WriteString(" DL: ")
	b.WriteString(strconv.Itoa(in.DL))
	b.WriteString(" total scan dsts: ")
	b.WriteString(strconv.Itoa(in.ScanDsts))
	return b.String()
}

// SigLines returns psad's "signature match" syslog messages of the pair
// (operations spec 6.4.3), at most maxPerProto per protocol
// (SIG_MSG_SYSLOG_THRESHOLD; 0 or less gives none), in the order of the
// alert's signature sections:
//
//	src: <src> signature match: "<msg>" (sid: <id>) <proto>[ port: <dp>][ fwsnort[ chain: FWSNORT_<CHAIN>[_ESTAB]][ rule: <n>]]
//
// Messages come from rule files and are escaped (see [Clean]) so that a
// line stays one line.
func SigLines(in *Info, maxPerProto int) []string {
	if maxPerProto <= 0 {
		return nil
	}
	src := addrString(in.Src.Addr)
	var out []string
	for _, s := range sections(in.Pair) {
		for i, r := range s.sigs {
			if i >= maxPerProto {
				break
			}
			si := lookupSig(in, r.ID)
			var b strings.Builder
			b.WriteString("src: " + src + ` signature match: "` + Clean(si.msg) + `" (sid: ` + strconv.Itoa(r.ID) + ") " + Clean(s.key))
			if hasPorts(s.key) && r.DP >= 0 {
				b.WriteString(" port: " + strconv.Itoa(r.DP))
			}
			if r.Fwsnort {
				b.WriteString(" fwsnort")
				if r.Chain != fwlog.ChainNone {
					b.WriteString(" chain: " + fwsnortChain(r.Chain, r.Estab))
				}
				if r.Rule > 0 {
					b.WriteString(" rule: " + strconv.Itoa(r.Rule))
				}
			}
			out = append(out, truncate(b.String(), maxLine))
		}
	}
	return out
}
