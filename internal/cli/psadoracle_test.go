package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/loggen"
)

// perlPsad is where Debian's psad package puts psad 2.4.6.
const perlPsad = "/usr/sbin/psad"

// TestReadsWhatPsadReads runs psad 2.4.6 itself and our -A on the same
// lines of field variants (loggen.Variants: spellings psad's patterns
// accept and some they refuse, each line from a source of its own) and
// checks that every source psad reports, we report, with the same facts.
// The settings make one accepted packet enough for a source to be
// reported, so the list of sources is the list of lines psad accepted.
// fwlog's TestPsadAcceptance checks the same against psad's rules as the
// spec writes them; this checks against the program. It needs the Perl
// psad (Debian's package, which .ci/run installs), its data files, root
// (psad refuses to run without) and ../shared/tools/psadcmp.
func TestReadsWhatPsadReads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs psad 2.4.6, a Perl program, on 6,000 lines")
	}
	if head, err := os.ReadFile(perlPsad); err != nil || !bytes.Contains(head[:min(len(head), 64)], []byte("perl")) {
		t.Skipf("psad 2.4.6 (Debian's psad package) is not installed at %s", perlPsad)
	}
	if !havePsadData() {
		t.Skip("psad's data files (/etc/psad) are absent")
	}
	if os.Geteuid() != 0 {
		t.Skip("psad 2.4.6 runs only as root")
	}
	tool := filepath.Join(repoRoot, "..", "shared", "tools", "psadcmp")
	if _, err := os.Stat(tool); err != nil {
		t.Skip("../shared/tools/psadcmp is absent: nothing here reads psad's report")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is needed to run psadcmp")
	}
	for _, seed := range []int64{1, 2} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			dir := t.TempDir()
			conf := oracleConf(t, dir)
			log := filepath.Join(dir, "variants.log")
			var b bytes.Buffer
			must(t, loggen.Variants(&b, 3000, seed))
			must(t, os.WriteFile(log, b.Bytes(), 0o600))
			args := []string{"-A", "-m", log, "-c", conf, "--no-rdns", "--no-whois", "--no-netstat"}

			theirs, err := exec.Command(perlPsad, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("psad 2.4.6: %v\n%s", err, theirs)
			}
			var out, errs bytes.Buffer
			if code := Run(args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errs}); code != 0 {
				t.Fatalf("exit %d: %s", code, errs.String())
			}
			want := sourceFacts(t, py, tool, filepath.Join(dir, "psad.txt"), theirs)
			got := sourceFacts(t, py, tool, filepath.Join(dir, "ours.txt"), append(out.Bytes(), errs.Bytes()...))

			// Without a source per accepted line, the test would prove nothing.
			if len(want) < 1500 {
				t.Fatalf("psad reported only %d sources for 3000 lines; the settings no longer report every accepted packet", len(want))
			}
			for src, facts := range want {
				ours, ok := got[src]
				if !ok {
					t.Errorf("psad reports %s, we do not: we refused a line psad reads:\n%s", src, lineOf(b.Bytes(), src))
					continue
				}
				for k, v := range facts {
					// docs/compat.md #2: we count distinct protocols.
					if strings.HasSuffix(k, ".total_protocols") {
						continue
					}
					if !reflect.DeepEqual(ours[k], v) {
						t.Errorf("%s: psad %v, we %v\n%s", k, v, ours[k], lineOf(b.Bytes(), src))
					}
				}
			}
			t.Logf("psad reported %d sources, we %d (lines psad calls malformed and docs/compat.md lists)", len(want), len(got))
		})
	}
}

// oracleConf writes psad's own psad.conf with its working directories
// moved under dir, one packet enough for danger level 1, and any port
// range a scan.
func oracleConf(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile("/etc/psad/psad.conf")
	must(t, err)
	text := string(data)
	for name, val := range map[string]string{
		"PSAD_DIR":                  filepath.Join(dir, "log"),
		"PSAD_RUN_DIR":              filepath.Join(dir, "run"),
		"PSAD_FIFO_DIR":             filepath.Join(dir, "fifo"),
		"HOSTNAME":                  "fw",
		"DANGER_LEVEL1":             "1",
		"PORT_RANGE_SCAN_THRESHOLD": "0",
	} {
		re := regexp.MustCompile(`(?m)^` + name + `\s[^;]*;`)
		if !re.MatchString(text) {
			t.Fatalf("/etc/psad/psad.conf has no %s", name)
		}
		text = re.ReplaceAllLiteralString(text, name+" "+val+";")
		if strings.HasSuffix(name, "_DIR") {
			must(t, os.MkdirAll(val, 0o700))
		}
	}
	conf := filepath.Join(dir, "psad.conf")
	must(t, os.WriteFile(conf, []byte(text), 0o600))
	return conf
}

// sourceFacts reads a report's facts with psadcmp and returns those of
// each source, keyed by the source. Addresses and port ranges are
// normalised: psad prints a zero-padded address or port as the line
// spelled it (docs/compat.md).
func sourceFacts(t *testing.T, py, tool, path string, report []byte) map[string]map[string]any {
	t.Helper()
	must(t, os.WriteFile(path, report, 0o600))
	js, err := exec.Command(py, tool, "parse", path).Output()
	if err != nil {
		t.Fatalf("psadcmp parse %s: %v", path, err)
	}
	var parsed struct{ Facts map[string]any }
	must(t, json.Unmarshal(js, &parsed))
	bracket := regexp.MustCompile(`\[[^\]]*\]`)
	portRange := regexp.MustCompile(`^(\d+)-(\d+)$`)
	bySrc := map[string]map[string]any{}
	for k, v := range parsed.Facts {
		if !strings.HasPrefix(k, "src[") {
			continue
		}
		k = bracket.ReplaceAllStringFunc(k, func(b string) string {
			parts := strings.Split(b[1:len(b)-1], ",")
			for i, p := range parts {
				parts[i] = normAddr(p)
			}
			return "[" + strings.Join(parts, ",") + "]"
		})
		if s, ok := v.(string); ok {
			if m := portRange.FindStringSubmatch(s); m != nil {
				lo, _ := strconv.Atoi(m[1])
				hi, _ := strconv.Atoi(m[2])
				v = fmt.Sprintf("%d-%d", lo, hi)
			}
		}
		src := k[len("src["):strings.IndexByte(k, ']')]
		if bySrc[src] == nil {
			bySrc[src] = map[string]any{}
		}
		bySrc[src][k] = v
	}
	return bySrc
}

// normAddr writes an address as its parts mean it (decimal for IPv4,
// expanded lower case for IPv6) and returns anything else as it is.
func normAddr(s string) string {
	if strings.Count(s, ".") == 3 {
		var out []string
		for p := range strings.SplitSeq(s, ".") {
			n, err := strconv.Atoi(p)
			if err != nil {
				return s
			}
			out = append(out, strconv.Itoa(n))
		}
		s = strings.Join(out, ".")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Is6() {
			return a.StringExpanded()
		}
		return a.String()
	}
	return s
}

// lineOf returns the line of the variants log whose source is src.
func lineOf(log []byte, src string) string {
	for l := range strings.SplitSeq(string(log), "\n") {
		f := strings.Fields(strings.Replace(l, "SRC=", " SRC=", 1))
		for _, w := range f {
			if strings.HasPrefix(w, "SRC=") && normAddr(w[4:]) == src {
				return l
			}
		}
	}
	return "(line not found)"
}
