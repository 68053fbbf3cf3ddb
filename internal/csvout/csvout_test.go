package csvout

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/fieldexpr"
	"github.com/psadgo/psad/internal/fwlog"
)

// fakeParse stands in for the fwlog parser: it understands just enough of
// a LOG line for these tests and rejects lines containing "BAD".
func fakeParse(line []byte, p *fwlog.Packet) bool {
	s := string(line)
	if strings.Contains(s, "BAD") {
		return false
	}
	if i := strings.Index(s, " host1 kernel: "); i > 0 {
		p.Timestamp = line[:i]
		p.Host = line[i+1 : i+6]
		rest := s[i+len(" host1 kernel: "):]
		if strings.HasPrefix(rest, "[4") { // the kernel uptime stamp
			_, rest, _ = strings.Cut(rest, "] ")
		}
		if j := strings.Index(rest, "IN="); j >= 0 {
			p.Prefix = []byte(strings.TrimSpace(rest[:j]))
		}
	}
	for _, kv := range strings.Fields(s) {
		k, v, _ := strings.Cut(kv, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "IN":
			p.Intf = []byte(v)
			p.Chain = fwlog.ChainInput
		case "SRC":
			p.Src = netip.MustParseAddr(v)
		case "DST":
			p.Dst = netip.MustParseAddr(v)
		case "LEN":
			if p.IPLen < 0 {
				p.IPLen = n
			}
		case "TTL":
			p.TTL = n
		case "PROTO":
			p.HasProto = true
			switch v {
			case "TCP":
				p.Proto = fwlog.ProtoTCP
			case "UDP":
				p.Proto = fwlog.ProtoUDP
			}
		case "SPT":
			p.SrcPort = n
		case "DPT":
			p.DstPort = n
		case "SYN":
			p.Flags |= fwlog.FlagSYN
		case "FIN":
			p.Flags |= fwlog.FlagFIN
		}
	}
	return true
}

func line(prefix, src, dst, proto string, dp int) string {
	return fmt.Sprintf("Mar 11 20:35:11 host1 kernel: [463490.251762] %s IN=eth1 OUT= "+
		"MAC=00:13:d3:38:b6:e4:00:30:48:23:87:dd:08:00 SRC=%s DST=%s LEN=44 TOS=0x00 "+
		"PREC=0x00 TTL=53 ID=48441 PROTO=%s SPT=56247 DPT=%d WINDOW=3072 RES=0x00 SYN URGP=0",
		prefix, src, dst, proto, dp)
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func TestRun(t *testing.T) {
	log := lines(
		line("DROP", "192.168.10.55", "192.168.10.1", "TCP", 1025),   // 1
		line("DROP", "192.168.10.55", "192.168.10.1", "TCP", 1153),   // 2
		"Mar 11 20:35:12 host1 kernel: something without the fields", // 3
		line("DROP BAD", "192.168.10.55", "192.168.10.1", "TCP", 1),  // 4: parser rejects
		line("DROP INVALID", "10.0.0.3", "10.0.0.1", "UDP", 1499),    // 5
		line("DROP", "192.168.10.55", "192.168.10.1", "TCP", 1025),   // 6: duplicate of 1
		line("[12] SID2003 ESTAB", "10.0.0.1", "192.168.10.2", "TCP", 1498),
	)
	tests := []struct {
		name string
		s    Settings
		want string
	}{
		{"default fields", Settings{}, lines(
			"Mar 11 20:35:11, 192.168.10.55, 192.168.10.1, 56247, 1025, tcp, SYN, 44, eth1, INPUT, DROP",
			"Mar 11 20:35:11, 192.168.10.55, 192.168.10.1, 56247, 1153, tcp, SYN, 44, eth1, INPUT, DROP",
			"Mar 11 20:35:11, 10.0.0.3, 10.0.0.1, 56247, 1499, udp, -1, 44, eth1, INPUT, DROPINVALID",
			"Mar 11 20:35:11, 192.168.10.55, 192.168.10.1, 56247, 1025, tcp, SYN, 44, eth1, INPUT, DROP",
			"Mar 11 20:35:11, 10.0.0.1, 192.168.10.2, 56247, 1498, tcp, SYN, 44, eth1, INPUT, 12SID2003ESTAB",
		)},
		{"fields and max lines", Settings{Fields: "src dst dp", MaxLines: 2}, lines(
			"192.168.10.55, 192.168.10.1, 1025",
			"192.168.10.55, 192.168.10.1, 1153",
		)},
		{"criterion", Settings{Fields: "src dp:>1495 ttl"}, lines(
			"10.0.0.3, 1499, 53",
			"10.0.0.1, 1498, 53",
		)},
		{"negated network", Settings{Fields: "dst:not192.168.10.0/24 dp"}, lines("10.0.0.1, 1499")},
		{"text criterion", Settings{Fields: "proto:'udp' dp"}, lines("udp, 1499")},
		{"prefix criterion sees stripped prefix", Settings{Fields: "log_prefix:'DROPINVALID' dp"}, lines("DROPINVALID, 1499")},
		{"start and end line", Settings{Fields: "dp", StartLine: 2, EndLine: 6}, lines("1153", "1499")},
		{"start line alone", Settings{Fields: "dp", StartLine: 6}, lines("1025", "1498")},
		{"end line alone", Settings{Fields: "dp", EndLine: 2}, lines("1025")},
		{"start equals end", Settings{Fields: "dp", StartLine: 2, EndLine: 2}, ""},
		{"unique", Settings{Fields: "src dst", Unique: true}, lines(
			"192.168.10.55, 192.168.10.1",
			"10.0.0.3, 10.0.0.1",
			"10.0.0.1, 192.168.10.2",
		)},
		{"unique counts matched lines", Settings{Fields: "src", Unique: true, MaxLines: 3}, lines(
			"192.168.10.55",
			"10.0.0.3",
		)},
		{"regex", Settings{Fields: "dp", Regex: `SRC=192\.168`}, lines("1025", "1153", "1025")},
		{"neg regex", Settings{Fields: "dp", NegRegex: `SRC=192\.168`}, lines("1499", "1498")},
		{"separator", Settings{Fields: "src dp", Separator: ";", MaxLines: 1}, lines("192.168.10.55;1025")},
		{"aliases", Settings{Fields: "SRC DPT:1153 PROTO", MaxLines: 1}, lines("192.168.10.55, 1153, tcp")},
		{"blank fields", Settings{Fields: "  ", MaxLines: 1}, lines(
			"Mar 11 20:35:11, 192.168.10.55, 192.168.10.1, 56247, 1025, tcp, SYN, 44, eth1, INPUT, DROP",
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Run(&out, strings.NewReader(log), tt.s, fakeParse); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), tt.want)
			}
		})
	}
}

// TestPrefilter checks that lines without "IN...OUT" never reach the
// parser.
func TestPrefilter(t *testing.T) {
	var calls int
	parse := func(line []byte, p *fwlog.Packet) bool { calls++; return false }
	in := lines("OUT= IN=eth0", "no fields", "IN=eth0 OUT=", "INOUT")
	if err := Run(io.Discard, strings.NewReader(in), Settings{}, parse); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("parse called %d times, want 2", calls)
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		want string
	}{
		{"start after end", Settings{StartLine: 5, EndLine: 4}, "[*] Cannot have start line > end line."},
		{"bad field", Settings{Fields: "src bogus"}, "[*] bogus is not a valid packet field; valid fields are:"},
		{"bad criterion", Settings{Fields: "chain:INPUT"}, "[*] Unrecognized value for chain"},
		{"bad regex", Settings{Regex: "("}, `[*] Invalid --CSV-regex "(": error parsing regexp: missing closing ): ` + "`(`"},
		{"bad neg regex", Settings{NegRegex: "["}, `[*] Invalid --CSV-neg-regex "[": error parsing regexp: missing closing ]: ` + "`[`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Run(&out, strings.NewReader(line("DROP", "1.2.3.4", "5.6.7.8", "TCP", 1)), tt.s, fakeParse)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want prefix %q", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("output %q before the error", out.String())
			}
		})
	}
	_, err := fieldexpr.Parse("bogus", false)
	var fe *fieldexpr.FieldError
	if err2 := Run(io.Discard, strings.NewReader(""), Settings{Fields: "bogus"}, fakeParse); !errors.As(err2, &fe) || err2.Error() != err.Error() {
		t.Errorf("Run does not pass on *fieldexpr.FieldError: %v", err2)
	}
	if err := Run(io.Discard, strings.NewReader(""), Settings{StartLine: 5, EndLine: 4}, fakeParse); !errors.Is(err, ErrStartAfterEnd) {
		t.Errorf("error = %v, want ErrStartAfterEnd", err)
	}
}

func TestLongLine(t *testing.T) {
	long := "IN=eth0 OUT= " + strings.Repeat("x", maxLine+1) + "\n"
	err := Run(io.Discard, strings.NewReader(long), Settings{}, fakeParse)
	if err == nil {
		t.Fatal("no error for a line longer than the buffer")
	}
}
