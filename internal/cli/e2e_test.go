package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/config"
)

// repoRoot is the repository root, two levels above this package.
var repoRoot = filepath.Join("..", "..")

// testEnv is a private psad installation in a temporary directory: a
// psad.conf made from the embedded defaults with the given settings
// replaced, its own PSAD_DIR and data directory, so a test never reads
// /etc/psad or writes /var/log/psad.
type testEnv struct {
	dir  string
	conf string
}

// update rewrites the golden files in testdata.
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func newTestEnv(t *testing.T, settings map[string]string, autoDL string) *testEnv {
	t.Helper()
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	if err := os.MkdirAll(etc, 0o700); err != nil {
		t.Fatal(err)
	}
	// The project's own data files, as an install of psad-go would have them.
	for name, src := range map[string]string{
		"protocols":   "internal/protocols/protocols",
		"signatures":  "internal/sig/data/signatures",
		"icmp_types":  "internal/icmptype/icmp_types",
		"icmp6_types": "internal/icmptype/icmp6_types",
		"p0f.fp":      "internal/osfp/default.fp",
	} {
		data, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(src)))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(etc, name), data, 0o600))
	}
	must(t, os.WriteFile(filepath.Join(etc, "auto_dl"), []byte(autoDL), 0o600))
	must(t, os.WriteFile(filepath.Join(etc, "snort_rule_dl"), nil, 0o600))
	// IP option numbers (RFC 791 and IANA): value, length (-1 = from the
	// option's length byte), keyword.
	must(t, os.WriteFile(filepath.Join(etc, "ip_options"), []byte("0 1 eol End of options\n1 1 nop No operation\n7 -1 rr Record route\n68 -1 ts Timestamp\n130 -1 sec Security\n131 -1 lsrr Loose source route\n136 4 satid Stream ID\n137 -1 ssrr Strict source route\n148 4 ralert Router alert\n"), 0o600))
	all := map[string]string{
		"PSAD_DIR":      filepath.Join(dir, "log"),
		"PSAD_RUN_DIR":  filepath.Join(dir, "run"),
		"PSAD_FIFO_DIR": filepath.Join(dir, "fifo"),
		"PSAD_CONF_DIR": etc,
		"HOSTNAME":      "fw",
		"P0F_FILE":      filepath.Join(etc, "p0f.fp"),
		"AUTO_DL_FILE":  filepath.Join(etc, "auto_dl"),
		// Tests talk to no DNS or whois server but their own.
		"ENABLE_DNS_LOOKUPS":   "N",
		"ENABLE_WHOIS_LOOKUPS": "N",
		// The daemon's HOME_NET stays psad.conf's, so what a test sees
		// does not depend on the host's networks
		// (TestDaemonHomeNetFromInterfaces covers them).
		"ENABLE_INTF_LOCAL_NETS": "N",
		// Nor on the host's firewall: the daemon's start-up check would
		// mail a warning about it.
		"ENABLE_FW_LOGGING_CHECK": "N",
		// Nor on how full the host's disk is.
		"DISK_MAX_PERCENTAGE": "100",
	}
	for k, v := range settings {
		all[k] = v
	}
	text := string(config.DefaultText())
	for name, val := range all {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s[^;]*;`)
		line := name + " " + val + ";"
		if re.MatchString(text) {
			text = re.ReplaceAllLiteralString(text, line)
		} else {
			text += line + "\n"
		}
	}
	conf := filepath.Join(dir, "psad.conf")
	must(t, os.WriteFile(conf, []byte(text), 0o600))
	return &testEnv{dir: dir, conf: conf}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// run executes psad in-process and returns stdout, stderr and status.
func (e *testEnv) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(append([]string{"-c", e.conf}, args...), Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code
}

func logPath(name string) string { return filepath.Join(repoRoot, "testdata", "logs", name+".log") }

// TestGoldenReports runs -A on every log the project generates and
// compares the whole console output with a golden file.
func TestGoldenReports(t *testing.T) {
	logs, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "logs", "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no generated logs found: %v", err)
	}
	for _, log := range logs {
		name := strings.TrimSuffix(filepath.Base(log), ".log")
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t, nil, "")
			out, errs, code := e.run(t, "-A", "-m", log, "--no-rdns", "--no-whois", "--no-netstat")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errs)
			}
			got := strings.ReplaceAll(out+"--- stderr ---\n"+errs, e.dir, "$TMP")
			got = strings.ReplaceAll(got, log, "$LOG")
			golden := filepath.Join("testdata", "golden", name+".txt")
			if *update {
				must(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				must(t, os.WriteFile(golden, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update after checking):\n%s", golden, lineDiff(string(want), got))
			}
			// The report copy holds exactly the report part of stdout.
			copyText, err := os.ReadFile(filepath.Join(e.dir, "log", "analysis.out"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, string(copyText)) || !strings.HasPrefix(string(copyText), "[+] Version:") {
				t.Errorf("analysis.out is not the report printed on stdout")
			}
		})
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl + "\n")
			if shown++; shown == 10 {
				break
			}
		}
	}
	return b.String()
}

// TestReportCopy checks ANALYSIS_OUTPUT_FILE across runs: -A replaces a
// longer copy left by an earlier run with exactly its report, -A --json
// leaves it as it was, and a copy that cannot be written is said on
// stderr without failing the run.
func TestReportCopy(t *testing.T) {
	e := newTestEnv(t, nil, "")
	copyPath := filepath.Join(e.dir, "log", "analysis.out")
	must(t, os.MkdirAll(filepath.Dir(copyPath), 0o700))
	old := strings.Repeat("an earlier run's report\n", 50000)
	must(t, os.WriteFile(copyPath, []byte(old), 0o600))
	log := logPath("syn_scan_1000_1500")

	if _, errs, code := e.run(t, "-A", "-m", log, "--json", "--no-rdns", "--no-whois"); code != 0 {
		t.Fatalf("-A --json: exit %d\n%s", code, errs)
	}
	if got, err := os.ReadFile(copyPath); err != nil || string(got) != old {
		t.Fatalf("-A --json changed the report copy (%v)", err)
	}

	out, errs, code := e.run(t, "-A", "-m", log, "--no-rdns", "--no-whois")
	if code != 0 {
		t.Fatalf("-A: exit %d\n%s", code, errs)
	}
	got, err := os.ReadFile(copyPath)
	must(t, err)
	start := strings.Index(out, "[+] Version:")
	end := strings.Index(out, "[+] These results are available in: ")
	if start < 0 || end < start || string(got) != out[start:end] {
		t.Fatalf("the report copy (%d bytes) is not the report on stdout", len(got))
	}

	bad := newTestEnv(t, map[string]string{"ANALYSIS_OUTPUT_FILE": filepath.Join(e.dir, "no such dir", "analysis.out")}, "")
	out, errs, code = bad.run(t, "-A", "-m", log, "--no-rdns", "--no-whois")
	if code != 0 || !strings.Contains(errs, "[-] Could not write the report copy: ") || !strings.Contains(out, "Total scan sources: ") {
		t.Fatalf("unwritable copy: exit %d, stderr:\n%s", code, errs)
	}
	if strings.Contains(out, "These results are available in") {
		t.Error("the run says where a copy it could not write is")
	}
}

// TestInvalidICMPOrder: psad lists a pair's invalid ICMP types before its
// invalid codes (ICMP before ICMP6). With an icmp6_types file that lacks
// type 200, the sample log has one of each.
func TestInvalidICMPOrder(t *testing.T) {
	e := newTestEnv(t, nil, "")
	must(t, os.WriteFile(filepath.Join(e.dir, "etc", "icmp6_types"), []byte("128  Echo Request\n    0   no code\n"), 0o600))
	out, errs, code := e.run(t, "-A", "-m", logPath("ipv6_invalid_icmp6_type_code"), "--no-rdns", "--no-whois", "--no-netstat")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	typ := strings.Index(out, `        Invalid ICMP6 type: "200" Chain: INPUT, Packets: 2`)
	code5 := strings.Index(out, `        Invalid ICMP6 code: "5" for ICMP6 "Echo Request" packet Chain: INPUT, Packets: 2`)
	if typ < 0 || code5 < 0 || typ > code5 {
		t.Errorf("want the invalid type line, then the invalid code line:\n%s", out)
	}
}
