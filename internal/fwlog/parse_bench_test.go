package fwlog

import (
	"net/netip"
	"regexp"
	"strconv"
	"testing"
)

var benchInputs = []struct {
	name, line string
}{
	{"ipv4-syn", lineSYNOpts},
	{"ipv4-udp", lineUDP},
	{"ipv6-tcp", lineV6TCP},
	{"icmp", lineICMP},
	{"nft-flags-all", lineNftAll},
}

var (
	sinkPacket Packet
	sinkErr    error
)

func BenchmarkParse(b *testing.B) {
	ps := defaultParser()
	for _, in := range benchInputs {
		line := []byte(in.line)
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				sinkErr = ps.Parse(line, &sinkPacket)
			}
			if sinkErr != nil {
				b.Fatal(sinkErr)
			}
		})
	}
}

// The baseline does what a straightforward port of psad would: a handful
// of regular expressions per line and string conversions for the fields.
var (
	reHeader = regexp.MustCompile(`^\s*((?:\S+\s+){2}\S+)\s+(\S+)\s+kernel:`)
	rePrefix = regexp.MustCompile(`.*kernel:\s+(.*?)\s*IN=`)
	reIn     = regexp.MustCompile(`IN=(\S*)\s+OUT=(\S*)`)
	reMAC    = regexp.MustCompile(`\sMAC=(\S+)`)
	reAddrs  = regexp.MustCompile(`SRC=(\S+)\s+DST=(\S+)\s+LEN=(\d+)`)
	reProto  = regexp.MustCompile(`PROTO=(\S+)`)
	rePorts  = regexp.MustCompile(`SPT=(\d+)\s+DPT=(\d+)`)
	reTCP    = regexp.MustCompile(`WINDOW=(\d+)\s+(.*)\s+URGP=`)
	reICMP   = regexp.MustCompile(`TYPE=(\d+)\s+CODE=(\d+)`)
)

type regexpPacket struct {
	ts, host, prefix, in, out, mac, proto, flags string
	src, dst                                     netip.Addr
	ipLen, sp, dp, win, itype, icode             int
}

func parseRegexp(line string, p *regexpPacket) bool {
	if m := reHeader.FindStringSubmatch(line); m != nil {
		p.ts, p.host = m[1], m[2]
	}
	if m := rePrefix.FindStringSubmatch(line); m != nil {
		p.prefix = m[1]
	}
	m := reIn.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	p.in, p.out = m[1], m[2]
	if m := reMAC.FindStringSubmatch(line); m != nil {
		p.mac = m[1]
	}
	m = reAddrs.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	var err error
	if p.src, err = netip.ParseAddr(m[1]); err != nil {
		return false
	}
	if p.dst, err = netip.ParseAddr(m[2]); err != nil {
		return false
	}
	p.ipLen, _ = strconv.Atoi(m[3])
	m = reProto.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	p.proto = m[1]
	switch p.proto {
	case "TCP", "UDP":
		if m := rePorts.FindStringSubmatch(line); m != nil {
			p.sp, _ = strconv.Atoi(m[1])
			p.dp, _ = strconv.Atoi(m[2])
		}
		if m := reTCP.FindStringSubmatch(line); m != nil {
			p.win, _ = strconv.Atoi(m[1])
			p.flags = m[2]
		}
	case "ICMP", "ICMPv6":
		if m := reICMP.FindStringSubmatch(line); m != nil {
			p.itype, _ = strconv.Atoi(m[1])
			p.icode, _ = strconv.Atoi(m[2])
		}
	}
	return true
}

var sinkRegexp regexpPacket

func BenchmarkParseRegexpBaseline(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in.line)))
			for b.Loop() {
				// Lines arrive as bytes; the regexp port needs a string.
				line := string([]byte(in.line))
				if !parseRegexp(line, &sinkRegexp) {
					b.Fatal("baseline rejected the line")
				}
			}
		})
	}
}
