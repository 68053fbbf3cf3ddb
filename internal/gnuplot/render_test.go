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
