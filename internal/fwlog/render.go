package fwlog

import "strconv"

// AppendLine appends a kernel-style LOG line for p, in the order and
// spelling the kernel uses, with a classic syslog header when p has a
// Timestamp. Parsing the result (without StripKernelTS, which would strip
// a second stamp from an already stripped prefix) gives back the fields
// Parse fills. It is used to test Parse and to write synthetic logs.
// Fields Parse does not keep (PREC, RES, URGP, FRAG, MACPROTO) are written
// with fixed values.
func AppendLine(dst []byte, p *Packet) []byte {
	if len(p.Timestamp) > 0 {
		dst = append(dst, p.Timestamp...)
		dst = append(dst, ' ')
		if len(p.Host) > 0 {
			dst = append(dst, p.Host...)
			dst = append(dst, ' ')
		}
	}
	// Always write the tag: it ends the header for Parse, and a prefix
	// that itself looks like a header stays a prefix.
	dst = append(dst, "kernel: "...)
	if len(p.Prefix) > 0 {
		dst = append(dst, p.Prefix...)
		dst = append(dst, ' ')
	}
	dst = append(dst, "IN="...)
	dst = append(dst, p.In...)
	dst = append(dst, ' ')
	if len(p.In) == 0 && len(p.Intf) > 0 && p.Chain != ChainOutput {
		// The interface came from PHYSIN= (psad's quirk, see parseIfaces).
		dst = append(dst, "PHYSIN="...)
		dst = append(dst, p.Intf...)
		dst = append(dst, ' ')
	}
	dst = append(dst, "OUT="...)
	dst = append(dst, p.Out...)
	dst = append(dst, ' ')
	switch {
	case len(p.DstMAC) > 0 && len(p.SrcMAC) > 0:
		dst = append(dst, "MAC="...)
		dst = append(dst, p.DstMAC...)
		dst = append(dst, ':')
		dst = append(dst, p.SrcMAC...)
		if p.IPv6 {
			dst = append(dst, ":86:dd "...)
		} else {
			dst = append(dst, ":08:00 "...)
		}
	case len(p.SrcMAC) > 0:
		dst = append(dst, "MACSRC="...)
		dst = append(dst, p.SrcMAC...)
		dst = append(dst, ' ')
	case len(p.DstMAC) > 0:
		dst = append(dst, "MACDST="...)
		dst = append(dst, p.DstMAC...)
		dst = append(dst, ' ')
	}
	dst = append(dst, "SRC="...)
	dst = AppendAddr(dst, p.Src)
	dst = append(dst, " DST="...)
	dst = AppendAddr(dst, p.Dst)
	dst = appendNum(dst, " LEN=", p.IPLen)
	if p.IPv6 {
		dst = appendNum(dst, " TC=", p.TC)
		dst = appendNum(dst, " HOPLIMIT=", p.HopLimit)
		dst = appendNum(dst, " FLOWLBL=", p.FlowLabel)
		if p.Topera {
			for range toperaRun {
				dst = append(dst, " OPT ( )"...)
			}
		}
	} else {
		if p.TOS >= 0 {
			dst = append(dst, " TOS=0x"...)
			dst = append(dst, upperHex[p.TOS>>4], upperHex[p.TOS&15])
			dst = append(dst, " PREC=0x00"...)
		}
		dst = appendNum(dst, " TTL=", p.TTL)
		dst = appendNum(dst, " ID=", p.IPID)
		if p.DF {
			dst = append(dst, " DF"...)
		}
		if len(p.IPOpts) > 0 {
			dst = append(dst, " OPT ("...)
			dst = append(dst, p.IPOpts...)
			dst = append(dst, ')')
		}
	}
	dst = append(dst, " PROTO="...)
	pr := p.Proto
	if pr == ProtoICMPv6 && !p.IPv6 || pr == ProtoICMP && p.IPv6 {
		pr = 0 // not named in this family: print the number
	}
	switch pr {
	case ProtoTCP:
		dst = append(dst, "TCP"...)
		dst = appendNum(dst, " SPT=", p.SrcPort)
		dst = appendNum(dst, " DPT=", p.DstPort)
		if p.TCPSeq >= 0 {
			dst = append(dst, " SEQ="...)
			dst = strconv.AppendInt(dst, p.TCPSeq, 10)
			dst = append(dst, " ACK="...)
			dst = strconv.AppendInt(dst, p.TCPAck, 10)
		}
		dst = appendNum(dst, " WINDOW=", p.Window)
		dst = append(dst, " RES=0x00"...)
		for _, fo := range flagOrder {
			if p.Flags&fo.f != 0 {
				dst = append(dst, ' ')
				dst = append(dst, fo.name...)
			}
		}
		dst = append(dst, " URGP=0"...)
		if len(p.TCPOpts) > 0 {
			dst = append(dst, " OPT ("...)
			dst = append(dst, p.TCPOpts...)
			dst = append(dst, ')')
		}
	case ProtoUDP, ProtoUDPLite:
		if p.Proto == ProtoUDP {
			dst = append(dst, "UDP"...)
		} else {
			dst = append(dst, "UDPLITE"...)
		}
		dst = appendNum(dst, " SPT=", p.SrcPort)
		dst = appendNum(dst, " DPT=", p.DstPort)
		dst = appendNum(dst, " LEN=", p.UDPLen)
	case ProtoICMP, ProtoICMPv6:
		if p.Proto == ProtoICMP {
			dst = append(dst, "ICMP"...)
		} else {
			dst = append(dst, "ICMPv6"...)
		}
		dst = appendNum(dst, " TYPE=", p.ICMPType)
		dst = appendNum(dst, " CODE=", p.ICMPCode)
		dst = appendNum(dst, " ID=", p.ICMPID)
		dst = appendNum(dst, " SEQ=", p.ICMPSeq)
	case ProtoSCTP:
		if p.SrcPort < 0 {
			dst = append(dst, "132"...)
			break
		}
		dst = append(dst, "SCTP"...)
		dst = appendNum(dst, " SPT=", p.SrcPort)
		dst = appendNum(dst, " DPT=", p.DstPort)
	case ProtoAH:
		dst = append(dst, "AH SPI=0x1"...)
	case ProtoESP:
		dst = append(dst, "ESP SPI=0x1"...)
	default:
		dst = strconv.AppendUint(dst, uint64(p.Proto), 10)
	}
	return append(dst, ' ')
}

const upperHex = "0123456789ABCDEF"

// appendNum appends key and n, or nothing when n is unset (negative).
func appendNum(dst []byte, key string, n int) []byte {
	if n < 0 {
		return dst
	}
	dst = append(dst, key...)
	return strconv.AppendInt(dst, int64(n), 10)
}
