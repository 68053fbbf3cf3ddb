package fwlog

import (
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/loggen"
)

// The oracle below is psad 2.4.6's acceptance rule for each protocol,
// written from the detection spec (§3.11): the per-protocol patterns,
// searched unanchored over the line, plus the TCP flag-string rule. Test
// code may use regexps; the parser may not.
const (
	v4re = `((?:[0-2]?\d{1,2}\.){3}[0-2]?\d{1,2})`
	v6re = `((?:[0-9a-fA-F]{4}:){7}[0-9a-fA-F]{4})`
)

var (
	psadTCP4  = regexp.MustCompile(`SRC=` + v4re + `\s+DST=` + v4re + `\s+LEN=(\d+)\s+TOS=(\S+)\s*.*\s+TTL=(\d+)\s+ID=(\d+)\s*.*\s+PROTO=TCP\s+SPT=(\d+)\s+DPT=(\d+)\s.*\s*WINDOW=(\d+)\s+(.*)\s+URGP=`)
	psadTCP6  = regexp.MustCompile(`SRC=` + v6re + `\s+DST=` + v6re + `\s+LEN=(\d+)\s+TC=(\d+)\s+HOPLIMIT=(\d+)\s+FLOWLBL=(\d+)\s+.*PROTO=TCP\s+SPT=(\d+)\s+DPT=(\d+)\s+WINDOW=(\d+)\s+(.*)\s+URGP=`)
	psadUDP4  = regexp.MustCompile(`SRC=` + v4re + `\s+DST=` + v4re + `\s+LEN=(\d+)\s+TOS=(\S+)\s.*TTL=(\d+)\s+ID=(\d+)\s*.*\s+PROTO=UDP\s+SPT=(\d+)\s+DPT=(\d+)\s+LEN=(\d+)`)
	psadUDP6  = regexp.MustCompile(`SRC=` + v6re + `\s+DST=` + v6re + `\s+LEN=(\d+)\s+TC=(\d+)\s+HOPLIMIT=(\d+)\s+FLOWLBL=(\d+)\s+PROTO=UDP(?:LITE)?\s+SPT=(\d+)\s+DPT=(\d+)\s+LEN=(\d+)`)
	psadICMP4 = regexp.MustCompile(`SRC=` + v4re + `\s+DST=` + v4re + `\s+LEN=(\d+).*TTL=(\d+)\s+ID=(\d+).*PROTO=ICMP\s+TYPE=(\d+)\s+CODE=(\d+)`)
	psadEcho  = regexp.MustCompile(`CODE=(\d+)\s+ID=(\d+)\s+SEQ=(\d+)`)
	psadSeq   = regexp.MustCompile(`\sSEQ=(\d+)\s+ACK=(\d+)`)
	psadRes   = regexp.MustCompile(`\s*RES=\S+\s*`)
	psadHex   = regexp.MustCompile(`^(?:0[xX])?[0-9a-fA-F]{1,2}$`)
)

// psadWant is what psad extracts from an accepted line, in our Packet's
// terms. ok is false when psad calls the line malformed.
func psadWant(line string) (want Packet, ok bool) {
	want.Reset()
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	addrs := func(m []string) {
		want.Src, want.Dst = oracleAddr(m[1]), oracleAddr(m[2])
		want.IPLen = atoi(m[3])
	}
	tos := func(s string) {
		if psadHex.MatchString(s) {
			v, _ := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"), 16, 8)
			want.TOS = int(v)
		}
	}
	flags := func(raw string) bool {
		s := strings.TrimSpace(psadRes.ReplaceAllString(raw, " "))
		if s == "" {
			return true // NULL
		}
		valid := false
		for _, w := range strings.Fields(s) {
			f := flagWord([]byte(w))
			if f == 0 {
				return false // a word the generator does not write
			}
			want.Flags |= f
		}
		for _, f := range []string{"ACK", "SYN", "RST", "URG", "PSH", "FIN"} {
			valid = valid || strings.Contains(s, f)
		}
		return valid
	}
	switch {
	case strings.Contains(line, "PROTO=ICMP "):
		m := psadICMP4.FindStringSubmatch(line)
		if m == nil {
			return want, false
		}
		want.Proto = ProtoICMP
		addrs(m)
		want.TTL, want.IPID, want.ICMPType, want.ICMPCode = atoi(m[4]), atoi(m[5]), atoi(m[6]), atoi(m[7])
		if want.ICMPType == 0 || want.ICMPType == 8 {
			e := psadEcho.FindStringSubmatch(line)
			if e == nil {
				return want, false
			}
			want.ICMPID, want.ICMPSeq = atoi(e[2]), atoi(e[3])
		}
		return want, true
	case strings.Contains(line, "PROTO=TCP "):
		want.Proto = ProtoTCP
		if m := psadTCP4.FindStringSubmatch(line); m != nil {
			addrs(m)
			tos(m[4])
			want.TTL, want.IPID, want.SrcPort, want.DstPort, want.Window = atoi(m[5]), atoi(m[6]), atoi(m[7]), atoi(m[8]), atoi(m[9])
			if s := psadSeq.FindStringSubmatch(line); s != nil {
				a, _ := strconv.ParseInt(s[1], 10, 64)
				b, _ := strconv.ParseInt(s[2], 10, 64)
				want.TCPSeq, want.TCPAck = a, b
			}
			return want, flags(m[10])
		}
		if m := psadTCP6.FindStringSubmatch(line); m != nil {
			addrs(m)
			want.TC, want.HopLimit, want.FlowLabel = atoi(m[4]), atoi(m[5]), atoi(m[6])
			want.SrcPort, want.DstPort, want.Window = atoi(m[7]), atoi(m[8]), atoi(m[9])
			return want, flags(m[10])
		}
	case strings.Contains(line, "PROTO=UDP "):
		want.Proto = ProtoUDP
		if m := psadUDP4.FindStringSubmatch(line); m != nil {
			addrs(m)
			tos(m[4])
			want.TTL, want.IPID, want.SrcPort, want.DstPort, want.UDPLen = atoi(m[5]), atoi(m[6]), atoi(m[7]), atoi(m[8]), atoi(m[9])
			return want, true
		}
		if m := psadUDP6.FindStringSubmatch(line); m != nil {
			addrs(m)
			want.TC, want.HopLimit, want.FlowLabel = atoi(m[4]), atoi(m[5]), atoi(m[6])
			want.SrcPort, want.DstPort, want.UDPLen = atoi(m[7]), atoi(m[8]), atoi(m[9])
			return want, true
		}
	}
	return want, false
}

// oracleAddr reads an address the way psad validates it: a dotted quad
// of decimal octets up to 255 (leading zeros allowed by its pattern) or
// a full IPv6 address.
func oracleAddr(s string) netip.Addr {
	if strings.Contains(s, ":") {
		return netip.MustParseAddr(s)
	}
	var a [4]byte
	for i, o := range strings.Split(s, ".") {
		n, _ := strconv.Atoi(o)
		a[i] = byte(n)
	}
	return netip.AddrFrom4(a)
}

// TestPsadAcceptance: every generated line psad's patterns accept, fwlog
// parses, to the same field values. The lines are loggen's variants;
// cli's TestReadsWhatPsadReads runs psad 2.4.6 itself on them, and the
// patterns here accept every line it did.
func TestPsadAcceptance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ps := NewParser(Options{})
	accepted := 0
	for i := range 20000 {
		line := loggen.Variant(r, i)
		want, ok := psadWant(line)
		if !ok {
			continue
		}
		accepted++
		var p Packet
		if err := ps.Parse([]byte(line), &p); err != nil {
			t.Fatalf("psad accepts, we reject (%v):\n%q", err, line)
		}
		got := Packet{
			Src: p.Src, Dst: p.Dst, Proto: p.Proto, IPLen: p.IPLen, TOS: p.TOS, TTL: p.TTL, IPID: p.IPID,
			TC: p.TC, HopLimit: p.HopLimit, FlowLabel: p.FlowLabel, SrcPort: p.SrcPort, DstPort: p.DstPort,
			Flags: p.Flags, Window: p.Window, TCPSeq: p.TCPSeq, TCPAck: p.TCPAck, UDPLen: p.UDPLen,
			ICMPType: p.ICMPType, ICMPCode: p.ICMPCode, ICMPID: p.ICMPID, ICMPSeq: p.ICMPSeq,
			FwsnortRule: -1,
		}
		if d := diffPacket(&got, &want); d != "" {
			t.Fatalf("values differ from psad's:%s\n%q", d, line)
		}
	}
	if accepted < 5000 {
		t.Fatalf("only %d of 20000 generated lines accepted by the oracle; the generator is too narrow", accepted)
	}
}

// TestLenientForms pins the forms psad reads that fwlog once rejected.
func TestLenientForms(t *testing.T) {
	tests := []struct {
		name, from, to string
		tos            int
		seq            int64
	}{
		{"EdgeOS TOS without 0x", "TOS=0x00", "TOS=00", 0, -1},
		{"TOS hex without 0x", "TOS=0x00", "TOS=1f", 0x1f, -1},
		{"TOS upper 0X", "TOS=0x00", "TOS=0XE0", 0xe0, -1},
		{"TOS one digit", "TOS=0x00", "TOS=0x8", 8, -1},
		{"TOS text", "TOS=0x00", "TOS=n/a", -1, -1},
		{"TOS absent", "TOS=0x00 ", "", -1, -1},
		{"PREC absent", "PREC=0x00 ", "", 0, -1},
		{"word before WINDOW", "WINDOW=", "XYZ=1 WINDOW=", 0, -1},
		{"SEQ without ACK", "WINDOW=", "SEQ=5 WINDOW=", 0, -1},
		{"SEQ ACK after a word", "WINDOW=", "X SEQ=5 ACK=6 WINDOW=", 0, 5},
		{"tabs and runs of blanks", " TTL=53 ", " \t  TTL=53\t\t", 0, -1},
	}
	ps := NewParser(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := strings.Replace(base, tt.from, tt.to, 1)
			if line == base {
				t.Fatal("edit did not apply")
			}
			var p Packet
			if err := ps.Parse([]byte(line), &p); err != nil {
				t.Fatalf("Parse: %v\n%q", err, line)
			}
			if p.TOS != tt.tos || p.TCPSeq != tt.seq || p.TTL != 53 || p.Window != 3072 || p.Flags != FlagSYN {
				t.Errorf("TOS %d seq %d TTL %d window %d flags %v; want TOS %d seq %d", p.TOS, p.TCPSeq, p.TTL, p.Window, p.Flags, tt.tos, tt.seq)
			}
		})
	}
}
