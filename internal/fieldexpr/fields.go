package fieldexpr

import (
	"net/netip"
	"strconv"

	"github.com/psadgo/psad/internal/fwlog"
)

// Context carries the packet attributes that the detection engine derives
// from more than one packet. The zero value (all false) is what CSV mode
// uses.
type Context struct {
	IsMasscan   bool
	IsMirai     bool
	IsPortSweep bool
}

// fieldID identifies a packet-record field (detection spec 3.11).
type fieldID uint8

// The fields in ascending name order, the order psad lists them in its
// "not a valid packet field" message.
const (
	fChain fieldID = iota
	fDObj
	fDP
	fDshieldStr
	fDst
	fDstMAC
	fFlags
	fFlowLabel
	fFragBit
	fFwsnortEstab
	fFwsnortRnum
	fFwsnortSID
	fHopLimit
	fICMPID
	fICMPSeq
	fICode
	fIntf
	fIPID
	fIPLen
	fIPOpts
	fIsIPv6
	fIsMasscan
	fIsMirai
	fIsPortSweep
	fIsTopera
	fIType
	fLogPrefix
	fProto
	fSObj
	fSP
	fSrc
	fSrcMAC
	fSyslogHost
	fTC
	fTCPAck
	fTCPOpts
	fTCPSeq
	fTimestamp
	fTOS
	fTTL
	fUDPLen
	fWin
	numFields
)

var fieldNames = [numFields]string{
	"chain", "d_obj", "dp", "dshield_str", "dst", "dst_mac", "flags",
	"flow_label", "frag_bit", "fwsnort_estab", "fwsnort_rnum", "fwsnort_sid",
	"hop_limit", "icmp_id", "icmp_seq", "icode", "intf", "ip_id", "ip_len",
	"ip_opts", "is_ipv6", "is_masscan", "is_mirai", "is_port_sweep",
	"is_topera", "itype", "log_prefix", "proto", "s_obj", "sp", "src",
	"src_mac", "syslog_host", "tc", "tcp_ack", "tcp_opts", "tcp_seq",
	"timestamp", "tos", "ttl", "udp_len", "win",
}

// aliases are the upper-case names psad accepts for some fields.
var aliases = map[string]fieldID{
	"SRC": fSrc, "DST": fDst, "SPT": fSP, "DPT": fDP, "PROTO": fProto,
	"TOS": fTOS, "WIN": fWin, "TYPE": fIType, "CODE": fICode, "TTL": fTTL,
	"ID": fIPID, "SEQ": fICMPSeq, "LEN": fIPLen, "IN": fIntf, "OUT": fIntf,
}

var byName = func() map[string]fieldID {
	m := make(map[string]fieldID, len(fieldNames)+len(aliases))
	for i, n := range fieldNames {
		m[n] = fieldID(i)
	}
	for n, f := range aliases {
		m[n] = f
	}
	return m
}()

// lookupField resolves a field name or alias (case sensitive).
func lookupField(name string) (fieldID, bool) {
	f, ok := byName[name]
	return f, ok
}

// bytesField returns the value of a field kept as text in the packet,
// without copying; ok is false for every other field.
func bytesField(f fieldID, p *fwlog.Packet) (b []byte, ok bool) {
	switch f {
	case fDstMAC:
		return p.DstMAC, true
	case fSrcMAC:
		return p.SrcMAC, true
	case fIntf:
		return p.Intf, true
	case fIPOpts:
		return p.IPOpts, true
	case fTCPOpts:
		return p.TCPOpts, true
	case fLogPrefix:
		return p.Prefix, true
	case fTimestamp:
		return p.Timestamp, true
	case fSyslogHost:
		if len(p.Host) > 0 {
			return p.Host, true
		}
	}
	return nil, false
}

// intField returns the value of a numeric field; ok is false for fields
// that are not numbers.
func intField(f fieldID, p *fwlog.Packet, ctx *Context) (n int64, ok bool) {
	switch f {
	case fDP:
		if isICMP(p) {
			return 0, true // psad sets both ports of ICMP packets to 0
		}
		return int64(p.DstPort), true
	case fSP:
		if isICMP(p) {
			return 0, true
		}
		return int64(p.SrcPort), true
	case fFlowLabel:
		return int64(p.FlowLabel), true
	case fHopLimit:
		return int64(p.HopLimit), true
	case fTC:
		return int64(p.TC), true
	case fICMPID:
		return int64(p.ICMPID), true
	case fICMPSeq:
		return int64(p.ICMPSeq), true
	case fICode:
		return int64(p.ICMPCode), true
	case fIType:
		return int64(p.ICMPType), true
	case fIPID:
		return int64(p.IPID), true
	case fIPLen:
		return int64(p.IPLen), true
	case fTOS:
		return int64(p.TOS), true
	case fTTL:
		return int64(p.TTL), true
	case fUDPLen:
		return int64(p.UDPLen), true
	case fWin:
		return int64(p.Window), true
	case fTCPSeq:
		return p.TCPSeq, true
	case fTCPAck:
		return p.TCPAck, true
	case fFwsnortRnum:
		return int64(p.FwsnortRule), true
	case fFwsnortSID:
		if p.FwsnortSID > 0 {
			return int64(p.FwsnortSID), true
		}
		return -1, true
	case fFragBit:
		return b2i(p.DF), true
	case fFwsnortEstab:
		return b2i(p.FwsnortEstab), true
	case fIsIPv6:
		return b2i(p.IPv6), true
	case fIsTopera:
		return b2i(p.Topera), true
	case fIsMasscan:
		return b2i(ctx != nil && ctx.IsMasscan), true
	case fIsMirai:
		return b2i(ctx != nil && ctx.IsMirai), true
	case fIsPortSweep:
		return b2i(ctx != nil && ctx.IsPortSweep), true
	}
	return 0, false
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// stringField returns the value of a field rendered as a constant
// string; ok is false for other fields.
func stringField(f fieldID, p *fwlog.Packet) (s string, ok bool) {
	switch f {
	case fChain:
		return p.Chain.String(), true
	case fProto:
		if p.HasProto {
			return p.ProtoKey(), true
		}
		return "", true
	case fFlags:
		if p.HasProto && p.Proto == fwlog.ProtoTCP {
			return p.Flags.String(), true
		}
		return "-1", true // psad's unset value
	case fSyslogHost:
		// psad's stand-in when the syslog header was not recognised.
		return "unknown", true
	case fDshieldStr:
		// Only filled in by the daemon's DShield reporting.
		return "", true
	}
	return "", false
}

// addrField returns the address of src/dst; ok is false for other fields.
func addrField(f fieldID, p *fwlog.Packet) (a netip.Addr, ok bool) {
	switch f {
	case fSrc:
		return p.Src, true
	case fDst:
		return p.Dst, true
	}
	return netip.Addr{}, false
}

// appendField renders field f as psad prints it in CSV output and
// compares it in criteria: unset numbers as -1, unset text as "".
func appendField(dst []byte, f fieldID, p *fwlog.Packet, ctx *Context) []byte {
	if b, ok := bytesField(f, p); ok {
		return append(dst, b...)
	}
	if n, ok := intField(f, p, ctx); ok {
		return strconv.AppendInt(dst, n, 10)
	}
	if a, ok := addrField(f, p); ok {
		if a.IsValid() {
			dst = fwlog.AppendAddr(dst, a)
		}
		return dst
	}
	if s, ok := stringField(f, p); ok {
		return append(dst, s...)
	}
	switch f {
	case fSObj, fDObj:
		// psad's internal address objects print as address/length.
		a := p.Src
		if f == fDObj {
			a = p.Dst
		}
		if a.IsValid() {
			dst = fwlog.AppendAddr(dst, a)
			dst = append(dst, '/')
			dst = strconv.AppendInt(dst, int64(a.BitLen()), 10)
		}
	}
	return dst
}

// AppendValue appends the value of the named field (a packet-record name
// or one of psad's upper-case aliases) as psad prints it: unset numbers
// as -1, unset text as "", addresses in the form the kernel logged them,
// the protocol as psad's key ("tcp", "icmp6", "47"), TCP flags as
// "URG PSH FIN" (empty for other protocols), booleans as 0 or 1. An
// unknown name appends nothing. ctx may be nil.
func AppendValue(dst []byte, field string, p *fwlog.Packet, ctx *Context) []byte {
	f, ok := lookupField(field)
	if !ok {
		return dst
	}
	return appendField(dst, f, p, ctx)
}

func isICMP(p *fwlog.Packet) bool {
	return p.HasProto && (p.Proto == fwlog.ProtoICMP || p.Proto == fwlog.ProtoICMPv6) && p.ICMPType >= 0
}
