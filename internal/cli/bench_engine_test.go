package cli

import (
	"regexp"
	"strconv"
	"testing"
)

// benchResult reads -B's Result line.
var benchResult = regexp.MustCompile(`Result: (\d+) sources, by danger level 1-5: (\d+) (\d+) (\d+) (\d+) (\d+); (\d+) invalid ICMP packets; (\d+) sources with an OS guess; (\d+) levels set by auto_dl\.`)

type benchState struct {
	sources               int
	byLevel               [5]int
	icmp, osGuess, autoDL int
}

func runBench(t *testing.T, e *testEnv, args ...string) benchState {
	t.Helper()
	out, errs, code := e.run(t, append([]string{"-B"}, args...)...)
	m := benchResult.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("-B %v: exit %d, no Result line:\n%s%s", args, code, out, errs)
	}
	n := make([]int, len(m))
	for i := 1; i < len(m); i++ {
		n[i], _ = strconv.Atoi(m[i])
	}
	return benchState{sources: n[1], byLevel: [5]int{n[2], n[3], n[4], n[5], n[6]}, icmp: n[7], osGuess: n[8], autoDL: n[9]}
}

// TestBenchRunsWholeEngine: -B builds the state -A builds from the same
// log (sources and danger levels, which signatures raise), and each
// engine -A has leaves its mark and goes when switched off: invalid ICMP
// types, passive OS guesses, auto_dl.
func TestBenchRunsWholeEngine(t *testing.T) {
	tests := []struct {
		log, autoDL string
		check       func(b benchState) bool
		off         string // the switch that removes the engine's mark
	}{
		{"invalid_icmp_type_code", "", func(b benchState) bool { return b.icmp > 0 }, "--no-icmp-types"},
		{"sample", "", func(b benchState) bool { return b.osGuess > 0 }, "--no-passive-os"},
		{"syn_scan_1000_1500", "192.168.10.0/24 5;\n", func(b benchState) bool { return b.autoDL == 1 && b.byLevel[4] == 1 }, "--no-auto-dl"},
		{"ms_sql_server_sig_match", "", func(b benchState) bool { return b.byLevel[0]+b.byLevel[1]+b.byLevel[2]+b.byLevel[3]+b.byLevel[4] > 0 }, "--no-signatures"},
	}
	for _, tc := range tests {
		t.Run(tc.log, func(t *testing.T) {
			e := newTestEnv(t, nil, tc.autoDL)
			b := runBench(t, e, "-m", logPath(tc.log))
			out, errs, code := e.run(t, "-A", "-m", logPath(tc.log), "--json")
			if code != 0 {
				t.Fatalf("-A --json: exit %d %s", code, errs)
			}
			a := decodeDoc(t, []byte(out))
			if b.sources != a.Totals.Sources || b.byLevel != a.Totals.ByLevel {
				t.Errorf("-B: %d sources by level %v; -A: %d by level %v", b.sources, b.byLevel, a.Totals.Sources, a.Totals.ByLevel)
			}
			if !tc.check(b) {
				t.Errorf("-B shows no work of the engine %s turns off: %+v", tc.off, b)
			}
			if off := runBench(t, e, "-m", logPath(tc.log), tc.off); tc.check(off) {
				t.Errorf("-B %s still shows the engine's work: %+v", tc.off, off)
			}
		})
	}
}
