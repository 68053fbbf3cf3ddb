package sigtrace

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/sig"
)

func parse(t *testing.T, rules string) *sig.Set {
	t.Helper()
	s, _, err := sig.Parse(strings.NewReader(rules), "test.sigs", sig.Options{PsadCompat: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func tcp(dport int, flags fwlog.TCPFlags, ttl int) *fwlog.Packet {
	var p fwlog.Packet
	p.Reset()
	p.HasProto, p.Proto = true, fwlog.ProtoTCP
	p.Src, p.Dst = netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("192.0.2.1")
	p.SrcPort, p.DstPort, p.Flags, p.TTL, p.IPLen = 40000, dport, flags, ttl, 44
	return &p
}

func trace(t *testing.T, s *sig.Set, id int, pkts ...*fwlog.Packet) string {
	t.Helper()
	tr, err := New(s, id, "test.sigs")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		tr.Observe(p)
	}
	var b bytes.Buffer
	if err := tr.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestTrace(t *testing.T) {
	s := parse(t, `alert tcp any any -> any 22 (msg:"ssh syn, high ttl"; flags:S; ttl:>100; psad_id:7; psad_dl:0;)`+"\n")
	var pkts []*fwlog.Packet
	for range 12 {
		pkts = append(pkts, tcp(22, fwlog.FlagSYN, 50)) // ttl fails: near misses
	}
	pkts = append(pkts, tcp(22, fwlog.FlagSYN, 200), tcp(23, fwlog.FlagSYN, 200), tcp(23, fwlog.FlagACK, 50))
	out := trace(t, s, 7, pkts...)
	for _, want := range []string{
		`[+] --debug-sid 7: "ssh syn, high ttl" (psad_id 7, tcp, DL 0), test.sigs line 1`,
		"15 packets analysed, 15 of them tcp",
		"Its danger level is 0",
		"1 packet matched it:",
		"12 packets failed one test only, the first 10:",
		"ttl: wanted ttl:>100 got 50",
		"1 packet differed from it in the port only.",
		"ttl          13 packets (the rule wants ttl:>100)",
		"dst port     2 packets (the rule wants 22)",
		"flags        1 packet (the rule wants S)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "got 50"); n != Shown {
		t.Errorf("%d near misses listed, want %d", n, Shown)
	}
}

func TestTraceOtherProtocol(t *testing.T) {
	s := parse(t, `alert udp any any -> any 161 (msg:"snmp"; sid:1417; psad_id:100001;)`+"\n")
	out := trace(t, s, 1417, tcp(161, fwlog.FlagSYN, 50))
	for _, want := range []string{"(sid 1417, udp", "No packet matched it.", "The log holds no udp packets"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestNewErrors(t *testing.T) {
	s := parse(t, `alert udp any any -> any 161 (msg:"snmp"; psad_id:100001;)`+"\n")
	if _, err := New(s, 5, "test.sigs"); err == nil || !strings.Contains(err.Error(), "--debug-sid 5: no signature with that sid or psad_id in test.sigs") {
		t.Errorf("unknown ID: %v", err)
	}
	if _, err := New(nil, 5, "test.sigs"); err == nil || !strings.Contains(err.Error(), "--no-signatures") {
		t.Errorf("no signatures: %v", err)
	}
}
