package alert

import (
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/scan"
)

// labelWidth is psad's column for alert labels: every labelled line is
// printf("%23s%s", label, value).
const labelWidth = 23

// bannerRule is the ornament on both sides of the banner's ctime.
const bannerRule = "=-=-=-=-=-=-=-=-=-=-=-="

// ctimeLayout is C's ctime(3) format, which psad prints (day padded with a
// blank, not a zero).
const ctimeLayout = "Mon Jan _2 15:04:05 2006"

// noDNS is psad's text for a failed or empty reverse lookup.
const noDNS = "[No reverse dns info available]"

// text accumulates alert lines. Every line passes through Clean and
// neutralise, so whatever a caller or an attacker put into a value, the
// result has no control characters and no line that reads as a header.
type text struct{ b []byte }

func (t *text) line(s string) {
	s = neutralise(truncate(Clean(s), maxLine))
	t.b = append(t.b, s...)
	t.b = append(t.b, '\n')
}

// label writes psad's "%23s%s" line.
func (t *text) label(label, value string) {
	if n := labelWidth - len(label); n > 0 {
		label = strings.Repeat(" ", n) + label
	}
	t.line(label + value)
}

var blankLabel = strings.Repeat(" ", labelWidth)

// Email appends the scan alert text of in.Pair to b and returns the
// extended slice: psad 2.4.6's layout of operations spec 6.1.2/6.1.3 (no
// "psad Alert:" or "IP Info" line; the banner is followed by two blank
// lines). Every line ends in '\n' and contains no other control character;
// attacker-influenced values are escaped (see [Clean]) and cannot begin a
// line, and the first line is the banner, which no parser takes for a
// header, so the text is always a body.
func Email(b []byte, in *Info) []byte {
	t := &text{b: b}
	src, pair := in.Src, in.Pair
	bt := pair.Batch
	v6 := src.Addr.Is6()
	banner := bannerRule + " " + in.Now.Format(ctimeLayout) + " " + bannerRule

	t.line(banner)
	t.line("")
	t.line("")
	dl := "[" + strconv.Itoa(in.DL) + "] (out of 5)"
	if pair.TotProtocols() > 1 {
		dl += " Multi-Protocol"
	}
	if src.AutoDL {
		dl += " Auto-assigned"
	}
	t.label("Danger level: ", dl)
	t.line("")
	t.label("Scanned destinations: ", strconv.Itoa(in.ScanDsts))
	if bt != nil {
		if n := bt.TotProtocols(); n >= in.protoThreshold() {
			t.label("IP Protocol scan: ", "["+strconv.Itoa(n)+" unique protocols, Nmap -sO]")
		}
		if n := bt.ProtoPkts(fwlog.ProtoTCP); n > 0 {
			t.label("Scanned TCP ports: ", "["+portRange(bt.Ranges[0])+": "+strconv.Itoa(n)+" packets]")
			tcpFlagLines(t, pair)
			chainLines(t, in, bt, fwlog.ProtoTCP)
		}
		if n := bt.ProtoPkts(fwlog.ProtoUDP); n > 0 {
			t.label("Scanned UDP ports: ", "["+portRange(bt.Ranges[1])+": "+strconv.Itoa(n)+" packets, Nmap: -sU]")
			chainLines(t, in, bt, fwlog.ProtoUDP)
		}
		// ICMPv6 and numeric protocols have no block (psad 15.1); protocol
		// 1 on IPv6 is one of the latter.
		if n := bt.ProtoPkts(fwlog.ProtoICMP); n > 0 && !v6 {
			t.label("icmp packets: ", "["+strconv.Itoa(n)+"]")
			chainLines(t, in, bt, fwlog.ProtoICMP)
		}
	}
	t.line("")

	t.label("Source: ", fwlog.AddrString(src.Addr))
	dnsLine(t, in, in.SrcDNS)
	if in.MACReporting && bt != nil && bt.SrcMAC != "" {
		t.label("MAC: ", Clean(bt.SrcMAC))
	}
	for i, g := range osGuesses(in) {
		l := "OS guess: "
		if i > 0 {
			l = ""
		}
		t.label(l, Clean(g))
	}
	t.line("")

	t.label("Destination: ", fwlog.AddrString(pair.Dst))
	dnsLine(t, in, in.DstDNS)
	if in.MACReporting && bt != nil && bt.DstMAC != "" {
		t.label("MAC: ", Clean(bt.DstMAC))
	}
	t.line("")

	t.label("Overall scan start: ", pair.Start().In(location(in.Now)).Format(ctimeLayout))
	t.label("Total email alerts: ", strconv.Itoa(in.TotalEmailAlerts))
	if r := pair.Ranges[0]; r.Seen {
		t.label("Complete TCP range: ", "["+portRange(r)+"]")
	}
	if r := pair.Ranges[1]; r.Seen {
		t.label("Complete UDP range: ", "["+portRange(r)+"]")
	}
	var batchHosts []string
	if bt != nil {
		batchHosts = bt.Hosts()
	}
	if len(batchHosts) > 0 {
		hosts := make([]string, len(batchHosts))
		for i, h := range batchHosts {
			hosts[i] = Clean(h)
		}
		if len(hosts) == 1 {
			t.label("Syslog hostname: ", hosts[0])
		} else {
			t.label("Syslog hostnames: ", strings.Join(hosts, ", "))
		}
	}
	t.line("")

	globalStats(t, in)
	signatureSections(t, in)

	if in.Whois != "" {
		t.line("")
		if in.WhoisDst {
			t.line("[+] Whois Information (destination IP):")
		} else {
			t.line("[+] Whois Information (source IP):")
		}
		w := strings.TrimRight(in.Whois, "\r\n")
		for _, l := range strings.Split(w, "\n") {
			t.line(strings.TrimSuffix(l, "\r"))
		}
	}
	t.line("")
	t.line(banner)
	return t.b
}

func location(now time.Time) *time.Location {
	if l := now.Location(); l != nil {
		return l
	}
	return time.Local
}

func dnsLine(t *text, in *Info, name string) {
	switch {
	case name != "":
		t.label("DNS: ", Clean(truncate(name, maxName)))
	case in.DNSLookups:
		t.label("DNS: ", noDNS)
	}
}

// portRange is psad's "lo-hi", or the port alone when lo == hi.
func portRange(r scan.PortRange) string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return strconv.Itoa(int(r.Lo)) + "-" + strconv.Itoa(int(r.Hi))
}

// tcpFlagLines writes psad's "TCP flags:" lines (detection spec 8.4): the
// label on the first line and again after each special-scanner line, a
// blank label after an nmap-labelled one. The order is the one of
// [scan.Tracker.Style], so the alert and the syslog line agree.
func tcpFlagLines(t *text, pair *scan.Pair) {
	bt := pair.Batch
	label := "TCP flags: "
	for _, fc := range bt.SortedFlags() {
		f := fc.Flags.String()
		v := "[" + f + ": " + strconv.Itoa(int(fc.Pkts)) + " packets"
		special := true
		switch {
		case pair.PortSweep:
			v += ", port sweep " + f + " scan"
		case bt.Topera:
			v += ", Topera " + f + " scan"
		case bt.Masscan:
			v += ", Masscan " + f + " scan"
		case bt.Mirai:
			v += ", Mirai botnet default credentials scan"
		default:
			special = false
			if l := scan.NmapLabel(fc.Flags); l != "" {
				v += ", Nmap: " + l
			}
		}
		t.label(label, v+"]")
		if !special {
			label = ""
		}
	}
}

// chainLines writes one "iptables chain:" line per chain and log prefix
// of a protocol in the batch, in first-seen order, with psad's renaming
// of fwsnort chains and the "fwsnort rule:" line.
func chainLines(t *text, in *Info, bt *scan.Batch, proto uint8) {
	for _, pc := range bt.Prefix() {
		if pc.Proto != proto {
			continue
		}
		chain := pc.Chain.String()
		rule := ""
		if in.SnortSIDStr != "" && strings.Contains(pc.Prefix, in.SnortSIDStr) {
			chain = fwsnortChain(pc.Chain, strings.Contains(pc.Prefix, "ESTAB"))
			rule = ruleNumber(pc.Prefix)
		}
		v := chain
		if pc.Prefix != "" {
			v += ` (prefix "` + Clean(pc.Prefix) + `")`
		}
		t.label("iptables chain: ", v+", "+strconv.Itoa(int(pc.Pkts))+" packets")
		if rule != "" {
			t.label("fwsnort rule: ", rule)
		}
	}
}

func fwsnortChain(c fwlog.Chain, estab bool) string {
	s := "FWSNORT_" + c.String()
	if estab {
		s += "_ESTAB"
	}
	return s
}

// ruleNumber returns the n of the first "[n]" in an fwsnort prefix.
func ruleNumber(prefix string) string {
	for i := 0; i < len(prefix); i++ {
		if prefix[i] != '[' {
			continue
		}
		j := i + 1
		for j < len(prefix) && prefix[j] >= '0' && prefix[j] <= '9' {
			j++
		}
		if j > i+1 && j < len(prefix) && prefix[j] == ']' {
			return prefix[i+1 : j]
		}
	}
	return ""
}

// osGuesses applies psad's choice (6.1.2): p0f guesses first; exact ones
// (without '@') hide approximate ones; the TOS guess when p0f has none.
func osGuesses(in *Info) []string {
	exact := false
	for _, g := range in.OSGuesses {
		if !strings.Contains(g, "@") {
			exact = true
			break
		}
	}
	var out []string
	for _, g := range in.OSGuesses {
		if exact && strings.Contains(g, "@") {
			continue
		}
		out = append(out, g)
	}
	if len(out) == 0 && in.PosfGuess != "" {
		out = append(out, in.PosfGuess)
	}
	return out
}

// protoKey is psad's protocol key for a pair's protocol number: named on
// its own family, numeric otherwise (see fwlog.Packet.ProtoKey).
func protoKey(proto uint8, v6 bool) string {
	if proto == fwlog.ProtoICMPv6 && !v6 || proto == fwlog.ProtoICMP && v6 {
		return strconv.Itoa(int(proto))
	}
	return fwlog.ProtoKey(proto)
}

// globalStats writes the per chain/interface/protocol table of the whole
// scan. Rows are sorted by chain, interface and protocol column text (psad
// sorts protocols as strings within Perl-hash-ordered chains).
func globalStats(t *text, in *Info) {
	v6 := in.Src.Addr.Is6()
	type row struct{ chain, intf, proto, pkts string }
	rows := make([]row, 0, len(in.Pair.Chains()))
	for _, cc := range in.Pair.Chains() {
		p := protoKey(cc.Proto, v6)
		if p[0] >= '0' && p[0] <= '9' && in.ProtoName != nil {
			if name := in.ProtoName(int(cc.Proto)); name != "" {
				p = name
			}
		}
		rows = append(rows, row{cc.Chain.String(), Clean(cc.Intf), Clean(p), strconv.Itoa(int(cc.Pkts))})
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.chain != b.chain {
			return a.chain < b.chain
		}
		if a.intf != b.intf {
			return a.intf < b.intf
		}
		return a.proto < b.proto
	})
	t.label("Global stats: ", "")
	t.line(blankLabel + pad("chain:", 9) + pad("interface:", 12) + pad("protocol:", 11) + pad("packets:", 10))
	for _, r := range rows {
		t.line(blankLabel + pad(r.chain, 9) + pad(r.intf, 12) + pad(r.proto, 11) + pad(r.pkts, 10))
	}
}

// pad is printf's "%-<n>s".
func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

// section is one "[+] <PROTO> scan signatures:" block.
type section struct {
	key  string
	sigs []scan.SigRecord
	icmp []scan.ICMPRecord
}

// sectionOrder fixes psad's unspecified protocol order. "ip" signatures
// get a section too: psad records their matches but never shows them,
// which leaves a DL raised by them unexplained.
var sectionOrder = []string{"tcp", "udp", "udplite", "icmp", "icmp6", "ip"}

// sections groups the pair's signature and invalid-ICMP records by
// protocol; signatures are sorted by id, then chain.
func sections(pair *scan.Pair) []section {
	by := map[string]*section{}
	get := func(k string) *section {
		s := by[k]
		if s == nil {
			s = &section{key: k}
			by[k] = s
		}
		return s
	}
	for _, r := range pair.Sigs() {
		s := get(strings.ToLower(r.Proto))
		s.sigs = append(s.sigs, r)
	}
	for _, r := range pair.ICMP() {
		k := "icmp"
		if r.V6 {
			k = "icmp6"
		}
		s := get(k)
		s.icmp = append(s.icmp, r)
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if i := slices.Index(sectionOrder, k); i >= 0 {
			return i
		}
		return len(sectionOrder)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	out := make([]section, len(keys))
	for i, k := range keys {
		s := by[k]
		sort.SliceStable(s.sigs, func(a, b int) bool {
			if s.sigs[a].ID != s.sigs[b].ID {
				return s.sigs[a].ID < s.sigs[b].ID
			}
			return s.sigs[a].Chain < s.sigs[b].Chain
		})
		// psad lists every invalid type before the invalid codes.
		sort.SliceStable(s.icmp, func(a, b int) bool {
			x, y := s.icmp[a], s.icmp[b]
			if (x.Code < 0) != (y.Code < 0) {
				return x.Code < 0
			}
			if x.Type != y.Type {
				return x.Type < y.Type
			}
			if x.Code != y.Code {
				return x.Code < y.Code
			}
			return x.Chain < y.Chain
		})
		out[i] = *s
	}
	return out
}

// hasPorts reports whether signature records of a protocol carry a
// destination port.
func hasPorts(key string) bool { return key == "tcp" || key == "udp" || key == "udplite" }

// sigInfo is what Info.Sigs says about an id, with a fallback for
// unknown ids.
type sigInfo struct {
	msg, classtype string
	refs           []string
	psadID         bool
	derived        []int
}

func lookupSig(in *Info, id int) sigInfo {
	if in.Sigs != nil {
		if msg, _, ct, refs, pid, der, ok := in.Sigs(id); ok {
			return sigInfo{msg, ct, refs, pid, der}
		}
	}
	return sigInfo{msg: "unknown signature " + strconv.Itoa(id)}
}

func sigChain(r scan.SigRecord) string {
	if r.Fwsnort {
		return fwsnortChain(r.Chain, r.Estab)
	}
	return r.Chain.String()
}

// signatureSections writes psad's per-protocol signature blocks (6.1.3).
func signatureSections(t *text, in *Info) {
	for _, s := range sections(in.Pair) {
		t.line("")
		t.line("")
		t.line("[+] " + strings.ToUpper(Clean(s.key)) + " scan signatures:")
		t.line("")
		for _, r := range s.sigs {
			si := lookupSig(in, r.ID)
			t.line(`   "` + Clean(si.msg) + `"`)
			if hasPorts(s.key) && r.DP >= 0 {
				v := strconv.Itoa(r.DP)
				if r.Chain == fwlog.ChainInput && in.LocalPorts != nil {
					if bound, known := in.LocalPorts(s.key, r.DP); known {
						if bound {
							v += " (server bound to local port!)"
						} else {
							v += " (no server bound to local port)"
						}
					}
				}
				t.line("       dst port:  " + v)
			}
			if s.key == "tcp" {
				f := r.Flags
				if f == "" {
					f = "NA"
				}
				t.line("       flags:     " + Clean(f))
			}
			var contents, metadata []string
			if r.Fwsnort && in.SigDetail != nil {
				contents, metadata = in.SigDetail(r.ID)
			}
			for _, c := range contents {
				t.line(`       content:   "` + Clean(c) + `"`)
			}
			if si.psadID {
				v := strconv.Itoa(r.ID)
				if len(si.derived) > 0 {
					ids := make([]string, len(si.derived))
					for i, d := range si.derived {
						ids[i] = strconv.Itoa(d)
					}
					v += " (derived from: " + strings.Join(ids, " ") + ")"
				}
				t.line("       psad_id:   " + v)
			} else {
				t.line("       sid:       " + strconv.Itoa(r.ID))
			}
			t.line("       chain:     " + sigChain(r))
			t.line("       packets:   " + strconv.Itoa(r.Pkts))
			if si.classtype != "" {
				t.line("       classtype: " + Clean(si.classtype))
			}
			for _, ref := range si.refs {
				t.line("       reference: " + Clean(ref))
			}
			for _, m := range metadata {
				t.line("       " + Clean(strings.TrimSpace(m)))
			}
			t.line("")
		}
		for _, r := range s.icmp {
			if r.Code < 0 {
				t.line(`   Invalid ICMP type "` + strconv.Itoa(r.Type) + `" chain=` + r.Chain.String() + " packets=" + strconv.Itoa(r.Pkts))
				continue
			}
			name := strconv.Itoa(r.Type)
			if in.ICMPTypeName != nil {
				if n := in.ICMPTypeName(r.V6, r.Type); n != "" {
					name = n
				}
			}
			t.line(`   Invalid ICMP code "` + strconv.Itoa(r.Code) + `" for ICMP "` + Clean(name) + `" packet`)
			t.line("       chain=" + r.Chain.String() + " packets=" + strconv.Itoa(r.Pkts))
		}
		// psad leaves no blank line after these records (a signature
		// block ends with one).
	}
}

// Subject returns psad's alert subject (operations spec 6.1.4):
// "<prefix> DL<dl> src: <src> dst: <dst>", with "(analysis mode)" after
// the DL in -A, and the reverse-DNS names in place of the addresses when
// they were found. The result is one line of at most 255 bytes without
// control characters: the names are attacker-controlled (a PTR record can
// hold any bytes) and psad passed them to a shell inside double quotes.
func Subject(prefix string, in *Info) string {
	src := fwlog.AddrString(in.Src.Addr)
	dst := fwlog.AddrString(in.Pair.Dst)
	if n := subjectName(in.SrcDNS); n != "" {
		src = n
	}
	if n := subjectName(in.DstDNS); n != "" {
		dst = n
	}
	var b strings.Builder
	b.WriteString(Clean(prefix))
	b.WriteString(" DL")
	b.WriteString(strconv.Itoa(in.DL))
	if in.Analysis {
		b.WriteString(" (analysis mode)")
	}
	b.WriteString(" src: ")
	b.WriteString(src)
	b.WriteString(" dst: ")
	b.WriteString(dst)
	return truncate(b.String(), maxSubject)
}

func subjectName(name string) string {
	if name == "" || name == noDNS {
		return ""
	}
	return Clean(truncate(name, maxName))
}

// addrString is fwlog.AddrString, kept short for the syslog builders.
func addrString(a netip.Addr) string { return fwlog.AddrString(a) }
