package osfp

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
)

// pkt describes a TCP packet as the fields of its LOG line. Zero values
// are filled in by line: TTL 64, flags "SYN".
type pkt struct {
	v6      bool
	len     int
	ttl     int // TTL, or HOPLIMIT for IPv6
	id      int
	df      bool
	ipOpts  string // IPv4 "OPT (...)" before PROTO=
	tc      int
	flow    int
	win     int
	flags   string
	seqAck  string // "SEQ=1 ACK=0" for --log-tcp-sequence
	opts    string // TCP "OPT (...)" hex
	srcPort int
}

// line renders the LOG line the kernel would write for p.
func (p pkt) line() string {
	var b strings.Builder
	b.WriteString("Mar 11 20:35:11 fw kernel: DROP IN=eth1 OUT= ")
	ttl := p.ttl
	if ttl == 0 {
		ttl = 64
	}
	if p.v6 {
		fmt.Fprintf(&b, "SRC=2001:db8::2 DST=2001:db8::1 LEN=%d TC=%d HOPLIMIT=%d FLOWLBL=%d ", p.len, p.tc, ttl, p.flow)
	} else {
		fmt.Fprintf(&b, "SRC=192.0.2.7 DST=198.51.100.1 LEN=%d TOS=0x00 PREC=0x00 TTL=%d ID=%d ", p.len, ttl, p.id)
		if p.df {
			b.WriteString("DF ")
		}
		if p.ipOpts != "" {
			fmt.Fprintf(&b, "OPT (%s) ", p.ipOpts)
		}
	}
	sp := p.srcPort
	if sp == 0 {
		sp = 40000
	}
	fmt.Fprintf(&b, "PROTO=TCP SPT=%d DPT=80 ", sp)
	if p.seqAck != "" {
		b.WriteString(p.seqAck + " ")
	}
	flags := p.flags
	if flags == "" {
		flags = "SYN"
	}
	fmt.Fprintf(&b, "WINDOW=%d RES=0x00 %s URGP=0 ", p.win, flags)
	if p.opts != "" {
		fmt.Fprintf(&b, "OPT (%s) ", p.opts)
	}
	return b.String()
}

// packet parses p's LOG line with fwlog, so every test packet is one the
// real parser produces. LEN defaults to the header sizes.
func (p pkt) packet(t testing.TB) *fwlog.Packet {
	t.Helper()
	if p.len == 0 {
		p.len = 20 + len(p.ipOpts)/2 + 20 + len(p.opts)/2
		if p.v6 {
			p.len = 40 + 20 + len(p.opts)/2
		}
	}
	var fp fwlog.Packet
	if err := fwlog.NewParser(fwlog.Options{}).Parse([]byte(p.line()), &fp); err != nil {
		t.Fatalf("fwlog rejects test line %q: %v", p.line(), err)
	}
	return &fp
}

// Option byte strings used by several tests.
const (
	// Linux: MSS 1460, SACK permitted, TS (val 0x00a1b2c3, ecr 0), NOP, WS 7.
	optsLinux = "020405B40402080A00A1B2C30000000001030307"
	// psad's spec example, TSval 0.
	optsSpecLinux = "020405B40402080A000000000000000001030307"
	// Windows 10: MSS 1460, NOP, WS 8, NOP, NOP, SACK permitted.
	optsWindows = "020405B40103030801010402"
	// macOS: MSS 1460, NOP, WS 6, NOP, NOP, TS, SACK permitted, EOL, 1 pad.
	optsMac = "020405B4" + "01" + "030306" + "0101" + "080A2F1E0D0C00000000" + "0402" + "00" + "00"
	// FreeBSD: MSS 1460, NOP, WS 6, SACK permitted, TS.
	optsFreeBSD = "020405B4010303060402080A0012345600000000"
	// nmap -sS: MSS 1460 only.
	optsMSS = "020405B4"
)

// skipUnless skips the test when a system file is not installed.
func skipUnless(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not installed", path)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
