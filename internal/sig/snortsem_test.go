package sig

import (
	"bufio"
	"bytes"
	"os"
	"testing"

	"github.com/psadgo/psad/internal/fwlog"
	"github.com/psadgo/psad/internal/loggen"
)

// scenarioHits parses every line of a loggen scenario and counts, per
// signature message, the packets that match s.
func scenarioHits(t *testing.T, s *Set, log []byte) map[string]int {
	t.Helper()
	ps := fwlog.NewParser(fwlog.Options{StripKernelTS: true})
	hits := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(log))
	var p fwlog.Packet
	var buf []Hit
	for sc.Scan() {
		if ps.Parse(sc.Bytes(), &p) != nil {
			continue
		}
		buf = s.Match(&p, buf[:0])
		for _, h := range buf {
			hits[h.Sig.Msg]++
		}
	}
	return hits
}

// TestSnortSemanticsNullAndPing: flags:0 catches nmap's NULL scan and
// dsize:0 catches a bare echo request only with Snort semantics; with
// psad's reading (PsadCompat) neither fires, as in psad 2.4.6.
func TestSnortSemanticsNullAndPing(t *testing.T) {
	rules := []string{
		`alert tcp any any -> any any (msg:"null probe"; flags:0; sid:1; psad_id:100001; psad_dl:2;)`,
		`alert icmp any any -> any any (msg:"bare ping"; dsize:0; itype:8; sid:2; psad_id:100002; psad_dl:2;)`,
		`alert tcp any any -> any any (msg:"syn probe"; flags:S; sid:3; psad_id:100003; psad_dl:2;)`,
	}
	null, ping := loggen.NullScan(), loggen.ValidPing()
	for _, tc := range []struct {
		name       string
		o          Options
		null, ping int
	}{
		{"snort", snortOpts(), 302, 5},
		{"psad", compatOpts(), 0, 0},
	} {
		s := mustParse(t, tc.o, rules...)
		nh, ph := scenarioHits(t, s, null), scenarioHits(t, s, ping)
		if nh["null probe"] != tc.null || ph["bare ping"] != tc.ping {
			t.Errorf("%s: null probe %d, bare ping %d; want %d, %d", tc.name, nh["null probe"], ph["bare ping"], tc.null, tc.ping)
		}
		if nh["syn probe"] != 0 || nh["bare ping"] != 0 || ph["null probe"] != 0 {
			t.Errorf("%s: unrelated signatures fired: %v %v", tc.name, nh, ph)
		}
	}
}

// TestSnortSemanticsPsadFile does the same with Debian's psad signature
// file: "SCAN NULL" and "ICMP PING NMAP".
func TestSnortSemanticsPsadFile(t *testing.T) {
	const path = "/etc/psad/signatures"
	if _, err := os.Stat(path); err != nil {
		t.Skip("no psad signature file")
	}
	vars := func(name string) (string, bool) {
		switch name {
		case "HOME_NET":
			return "any", true
		case "EXTERNAL_NET":
			return "any", true
		}
		return "any", true
	}
	for _, compat := range []bool{false, true} {
		s, _, err := Load(path, Options{Vars: vars, PsadCompat: compat})
		if err != nil {
			t.Fatal(err)
		}
		nh, ph := scenarioHits(t, s, loggen.NullScan()), scenarioHits(t, s, loggen.ValidPing())
		wantNull, wantPing := 302, 5
		if compat {
			wantNull, wantPing = 0, 0
		}
		if nh["SCAN NULL"] != wantNull || ph["ICMP PING NMAP"] != wantPing {
			t.Errorf("compat=%v: SCAN NULL %d, ICMP PING NMAP %d; want %d, %d", compat, nh["SCAN NULL"], ph["ICMP PING NMAP"], wantNull, wantPing)
		}
	}
}

// TestExactDsize pins the Snort-semantics payload sizes: ICMP LEN minus
// the IP header (with options) and 8; TCP with logged options LEN minus
// both headers.
func TestExactDsize(t *testing.T) {
	s := mustParse(t, snortOpts(),
		`alert icmp any any -> any any (msg:"i"; dsize:4; sid:1; psad_id:100001; psad_dl:2;)`,
		`alert tcp any any -> any any (msg:"t"; dsize:10; sid:2; psad_id:100002; psad_dl:2;)`)
	icmp := icmpPkt(8, 0, 40)
	icmp.IPOpts = []byte("07030400") // 4 bytes of options: 40-24-8 = 8
	if len(s.Match(icmp, nil)) != 0 {
		t.Error("ICMP with IP options: dsize 8 matched dsize:4")
	}
	icmp.IPLen = 36
	if len(s.Match(icmp, nil)) != 1 {
		t.Error("ICMP LEN 36 with 4 option bytes: dsize 4 not matched")
	}
	tcp := tcpPkt(1, 2, fwlog.FlagACK|fwlog.FlagPSH)
	tcp.IPLen, tcp.TCPOpts = 62, []byte("0101080A0000000100000002") // 12 bytes: 62-20-20-12 = 10
	if len(s.Match(tcp, nil)) != 1 {
		t.Error("TCP with logged options: dsize 10 not matched")
	}
}
