package loggen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// variantForms lists, per field, spellings that psad 2.4.6's parsing
// patterns accept and a few they do not (missing or empty TOS, words in
// odd places, zero-padded numbers), so that a parser can be compared with
// psad's rules, or with psad itself, in both directions. Numbers stay in
// the ranges the kernel can print.
var variantForms = map[string][]string{
	"sep":    {" ", "  ", "\t", " \t "},
	"dst4":   {"192.168.10.55", "192.168.010.055", "1.2.3.4", "010.0.0.1"},
	"dst6":   {"2001:0db8:0000:f101:0000:0000:0000:0002", "2001:0DB8:0000:F101:0000:0000:0000:00AB", "fe80:0000:0000:0000:5054:00ff:fe99:9ad7"},
	"len":    {"60", "060", "0", "65535"},
	"tos":    {"TOS=0x00", "TOS=0x10", "TOS=0X1F", "TOS=0x1f", "TOS=00", "TOS=10", "TOS=1f", "TOS=FF", "TOS=f", "TOS=0x0", "TOS=zz", "TOS=0x", "TOS=0x000", "TOS=-", "", "TOS="},
	"prec":   {"PREC=0x00 ", "PREC=00 ", "PREC=0XE0 ", "", "PREC=junk "},
	"ttl":    {"64", "064", "255", "0"},
	"id":     {"0", "54321", "00042"},
	"ipflag": {"", "DF ", "CE DF ", "CE "},
	"port":   {"80", "080", "0", "65535"},
	"mid":    {"", "SEQ=1 ACK=2 ", "SEQ=4294967295 ACK=0 ", "FOO=bar ", "SEQ=7 "},
	"win":    {"0", "65535", "01024"},
	"res":    {"RES=0x00 ", "RES=00 ", ""},
	"flags":  {"SYN ", "ACK PSH ", "URG PSH FIN ", "", "CWR ECE SYN ", "FIN ", "CWR ECE "},
	"topt":   {"", "OPT (020405B4) "},
	"tc":     {"0", "16"},
	"hop":    {"64", "255"},
	"flow":   {"0", "12345"},
	"icmp":   {"TYPE=8 CODE=0 ID=2158 SEQ=512 ", "TYPE=0 CODE=0 ID=1 SEQ=2 ", "TYPE=3 CODE=3 ", "TYPE=13 CODE=0 ", "TYPE=8 CODE=0 "},
	"mac":    {"MAC=23:87:fc:c6:24:58:00:21:3f:98:99:78:09:00 ", "MAC=23:87:FC:C6:24:58:00:21:3F:98:99:78:08:00 ", ""},
}

// Variant returns a LOG line (without a newline) with its fields spelled
// at random from variantForms. Its source is the i-th of 10.1.0.1,
// 10.1.0.2, ... or, for the quarter of lines that are IPv6,
// 2001:db8::i, written out in full: distinct sources let a report tell
// which lines were accepted. The IPv4 source's parts are zero-padded in a
// third of the lines, the IPv6 source is upper case in half.
func Variant(r *rand.Rand, i int) string {
	pick := func(k string) string { f := variantForms[k]; return f[r.IntN(len(f))] }
	sp := pick("sep")
	var b strings.Builder
	b.WriteString("Mar 11 20:35:11 h kernel: DROP IN=eth0 OUT= " + pick("mac"))
	v6 := r.IntN(4) == 0
	if v6 {
		src := fmt.Sprintf("2001:0db8:0000:0000:0000:0000:%04x:%04x", i>>16&0xffff, i&0xffff)
		if r.IntN(2) == 0 {
			src = strings.ToUpper(src)
		}
		b.WriteString("SRC=" + src + sp + "DST=" + pick("dst6") + " LEN=" + pick("len") + sp +
			"TC=" + pick("tc") + " HOPLIMIT=" + pick("hop") + " FLOWLBL=" + pick("flow") + " ")
	} else {
		a, c, d := 1+i/250/250%250, i/250%250, 1+i%250
		format := "10.%d.%d.%d"
		if r.IntN(3) == 0 {
			format = "10.%03d.%03d.%03d"
		}
		b.WriteString("SRC=" + fmt.Sprintf(format, a, c, d) + sp + "DST=" + pick("dst4") + " LEN=" + pick("len") + sp)
		if t := pick("tos"); t != "" {
			b.WriteString(t + " ")
		}
		b.WriteString(pick("prec") + "TTL=" + pick("ttl") + sp + "ID=" + pick("id") + " " + pick("ipflag"))
	}
	switch n := r.IntN(3); {
	case n == 0:
		b.WriteString("PROTO=TCP SPT=" + pick("port") + sp + "DPT=" + pick("port") + " ")
		if !v6 {
			b.WriteString(pick("mid"))
		}
		b.WriteString("WINDOW=" + pick("win") + sp + pick("res") + pick("flags") + "URGP=0 " + pick("topt"))
	case n == 1:
		b.WriteString("PROTO=UDP SPT=" + pick("port") + sp + "DPT=" + pick("port") + sp + "LEN=" + pick("len") + " ")
	case v6:
		b.WriteString("PROTO=UDP SPT=1 DPT=2 LEN=8 ")
	default:
		b.WriteString("PROTO=ICMP " + pick("icmp"))
	}
	return b.String()
}

// Variants writes n lines of Variant, sources 0 to n-1, seeded with seed.
func Variants(w io.Writer, n int, seed int64) error {
	r := rand.New(rand.NewPCG(uint64(seed), 0x76617269616e74))
	bw := bufio.NewWriter(w)
	for i := range n {
		bw.WriteString(Variant(r, i))
		if err := bw.WriteByte('\n'); err != nil {
			return err
		}
	}
	return bw.Flush()
}
