package gnuplot

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/csvout"
)

// rendering is what gnuplot made of a written pair on its dumb terminal.
type rendering struct {
	text    string // the plot as characters
	inRange int    // points gnuplot drew inside the plot's ranges
	stderr  string
}

// dumbTerminal swaps the pair's PNG terminal for gnuplot's text one and
// adds a table of the points gnuplot plotted, each flagged i (in range),
// o (out of range) or u (undefined), which is what says whether the
// figure shows the data: gnuplot exits 0 on a plot it drew empty.
var (
	terminalLine = regexp.MustCompile(`(?m)^set terminal .*$`)
	outputLine   = regexp.MustCompile(`(?m)^set output .*$`)
)

func renderDumb(t *testing.T, gp, dir, gnu string) (rendering, error) {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(dir, gnu))
	if err != nil {
		t.Fatal(err)
	}
	if !terminalLine.Match(script) || !outputLine.Match(script) {
		t.Fatalf("%s sets no terminal or output:\n%s", gnu, script)
	}
	script = terminalLine.ReplaceAll(script, []byte("set terminal dumb size 100,30"))
	script = outputLine.ReplaceAll(script, []byte(`set output "plot.txt"`))
	script = append(script, "\nset table \"points.txt\"\nreplot\nunset table\n"...)
	must(t, os.WriteFile(filepath.Join(dir, "dumb.gnu"), script, 0o600))
	var stderr bytes.Buffer
	cmd := exec.Command(gp, "dumb.gnu")
	cmd.Dir, cmd.Stderr = dir, &stderr
	err = cmd.Run()
	r := rendering{stderr: stderr.String()}
	text, _ := os.ReadFile(filepath.Join(dir, "plot.txt"))
	r.text = string(text)
	if table, terr := os.ReadFile(filepath.Join(dir, "points.txt")); terr == nil {
		for l := range strings.Lines(string(table)) {
			if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(l, "#") && f[len(f)-1] == "i" {
				r.inRange++
			}
		}
	}
	return r, err
}

// dataRows counts the data lines of a .dat file.
func dataRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			n++
		}
	}
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestGnuplotDrawsEveryPoint runs the real gnuplot on written pairs (2-D,
// counts over time, 3-D) with its dumb terminal: it must render without
// an error and draw every row of the .dat file inside the plot. The last
// case is an x range that excludes all data, to show the check sees an
// empty plot that gnuplot does not report as a failure.
func TestGnuplotDrawsEveryPoint(t *testing.T) {
	gp, err := exec.LookPath("gnuplot")
	if err != nil {
		t.Skip("gnuplot is not installed (apt-get install gnuplot-nox); the .gnu files are still checked by TestGolden")
	}
	tests := []struct {
		name, log string
		s         Settings
		empty     bool
	}{
		{"dst dp", "syn_sweep", Settings{Select: csvout.Settings{Fields: "dst dp"}}, false},
		{"timestamp dp:count", "sample", Settings{Select: csvout.Settings{Fields: "timestamp dp:count"}}, false},
		{"src dp:countuniq", "sample", Settings{Select: csvout.Settings{Fields: "src dp:countuniq"}}, false},
		{"3D src dst dp", "syn_sweep", Settings{Select: csvout.Settings{Fields: "src dst dp"}, ThreeD: true, View: "60,30"}, false},
		{"x range without data", "sample", Settings{Select: csvout.Settings{Fields: "dp sp"}, XRange: "70000:80000"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, _, err := run(t, tc.log, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			dat, gnu, _ := tc.s.Files()
			rows := dataRows(t, filepath.Join(dir, dat))
			r, err := renderDumb(t, gp, dir, gnu)
			t.Logf("%d rows, %d drawn in range", rows, r.inRange)
			if tc.empty {
				if err == nil && r.inRange > 0 {
					t.Errorf("an x range without data drew %d points:\n%s", r.inRange, r.text)
				}
				return
			}
			if err != nil {
				t.Fatalf("gnuplot: %v\n%s", err, r.stderr)
			}
			if rows < 2 {
				t.Fatalf("%s has %d data rows, too few to test a plot", dat, rows)
			}
			if r.inRange != rows {
				t.Errorf("gnuplot drew %d of the %d data rows inside the plot; stderr:\n%s", r.inRange, rows, r.stderr)
			}
			if strings.Contains(r.stderr, "Skipping data file") || strings.Contains(r.stderr, "undefined") {
				t.Errorf("gnuplot: %s", r.stderr)
			}
			// The figure itself: a frame and at least one point marker
			// besides the one in the key.
			markers := strings.Count(r.text, "A") - strings.Count(r.text, "***A***")
			if !strings.Contains(r.text, "+----") || markers < 1 {
				t.Errorf("no points in the rendered plot:\n%s", r.text)
			}
		})
	}
}

// TestUserTextStaysText: titles, labels, ranges, the legend and the
// command line in the header are the user's text inside a file gnuplot
// runs. Each case below would run "touch pwned" (or break the file) if
// written as given, as psad wrote it; the real gnuplot must render the
// file without an error, create nothing, and show the text as text.
// The view and the graph style, written unquoted, are refused instead.
func TestUserTextStaysText(t *testing.T) {
	gp, err := exec.LookPath("gnuplot")
	if err != nil {
		t.Skip("gnuplot is not installed (apt-get install gnuplot-nox)")
	}
	two := csvout.Settings{Fields: "dst dp"}
	tests := []struct {
		name string
		s    Settings
		show string // text the rendered plot must show
		hide string // and must not
	}{
		{"title quote", Settings{Select: two, Title: `x"; system("touch pwned") #`}, `system("touch pwned")`, ""},
		{"title back quote", Settings{Select: two, Title: "a`touch pwned`b"}, "a`touch pwned`b", ""},
		{"title line break", Settings{Select: two, Title: "x\"\n!touch pwned\n#"}, "!touch pwned", ""},
		{"title ending in a backslash", Settings{Select: two, Title: `ends\`}, `ends\`, ""},
		{"title escape kept", Settings{Select: two, Title: `one\ntwo`}, "two", `one\n`},
		{"labels", Settings{Select: two, XLabel: "`touch pwned`", YLabel: `y"."` + "`touch pwned`"}, "`touch pwned`", ""},
		{"legend", Settings{Select: two, LegendTitle: `l'.system("touch pwned").'`}, `system("touch pwned")`, ""},
		{"3D label", Settings{Select: csvout.Settings{Fields: "src dst dp"}, ZLabel: "z`touch pwned`"}, "", ""},
		{"time range", Settings{Select: csvout.Settings{Fields: "timestamp dp:count"},
			XRange: `1:2"];system("touch${IFS}pwned");#`}, "", ""},
		{"file prefix", Settings{Select: two, FilePrefix: "it's"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.s.CommandLine = []string{"--gnuplot-title", "x\n!touch pwned"}
			log := "syn_sweep"
			if tc.s.XRange != "" {
				log = "sample"
			}
			dir, _, err := run(t, log, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			_, gnu, _ := tc.s.Files()
			r, err := renderDumb(t, gp, dir, gnu)
			if _, serr := os.Stat(filepath.Join(dir, "pwned")); serr == nil {
				t.Fatalf("gnuplot ran the user's text as a command")
			}
			if err != nil && tc.s.XRange == "" {
				t.Fatalf("gnuplot: %v\n%s", err, r.stderr)
			}
			if !strings.Contains(r.text, tc.show) || tc.hide != "" && strings.Contains(r.text, tc.hide) {
				t.Errorf("the plot does not show %q or shows %q:\n%s", tc.show, tc.hide, r.text)
			}
		})
	}
	for _, s := range []Settings{
		{Select: csvout.Settings{Fields: "src dst dp"}, View: `60,30;system("touch pwned")`},
		{Select: two, GraphStyle: `lines;system("touch pwned")`},
		{Select: two, FilePrefix: "a\nb"},
	} {
		if _, _, err := run(t, "syn_sweep", s); err == nil || !strings.HasPrefix(err.Error(), "[*] ") {
			t.Errorf("view %q, style %q, prefix %q: error %v, want a refusal", s.View, s.GraphStyle, s.FilePrefix, err)
		}
	}
}
