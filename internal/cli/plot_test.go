package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestGnuplotMode: --gnuplot writes the pair named by the prefix, with
// the command line in the header; without --CSV-fields it stops with
// psad's message.
func TestGnuplotMode(t *testing.T) {
	e := newTestEnv(t, nil, "")
	prefix := filepath.Join(t.TempDir(), "sweep")
	out, errs, code := e.run(t, "--gnuplot", "-m", logPath("syn_sweep"), "--CSV-fields", "dst dp", "--gnuplot-file-prefix", prefix)
	if code != 0 || !strings.Contains(out, "[+] Writing gnuplot directive file: "+prefix+".gnu") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	gnu, err := os.ReadFile(prefix + ".gnu")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--gnuplot -m " + logPath("syn_sweep"), "plot '" + prefix + ".dat' using 1:2"} {
		if !strings.Contains(string(gnu), want) {
			t.Errorf(".gnu lacks %q:\n%s", want, gnu)
		}
	}
	if dat, _ := os.ReadFile(prefix + ".dat"); !strings.Contains(string(dat), "4, 1083  ### 4=192.168.10.1 \n") {
		t.Errorf(".dat:\n%s", dat)
	}
	_, errs, code = e.run(t, "--gnuplot", "-m", logPath("syn_sweep"))
	if code != 255 || !strings.Contains(errs, "--CSV-fields argument.") {
		t.Errorf("without --CSV-fields: exit %d, %s", code, errs)
	}
}

// TestAnalyzePlot: -A --plot writes a PNG and an SVG after the report
// and refuses other formats.
func TestAnalyzePlot(t *testing.T) {
	e := newTestEnv(t, nil, "")
	dir := t.TempDir()
	for _, name := range []string{"f.png", "f.svg"} {
		path := filepath.Join(dir, name)
		out, errs, code := e.run(t, "-A", "-m", logPath("syn_sweep"), "--plot", path)
		if code != 0 || !regexp.MustCompile(`\[\+\] Plot of \d+ packets written to: `+regexp.QuoteMeta(path)).MatchString(out) {
			t.Fatalf("exit %d\n%s%s", code, out, errs)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() < 1000 {
			t.Errorf("%s: %v", name, err)
		}
	}
	out, errs, code := e.run(t, "-A", "-m", logPath("syn_sweep"), "--plot", filepath.Join(dir, "f.gif"))
	if code != 1 || !strings.Contains(errs, "want a .png or .svg name") || out != "" {
		t.Errorf("f.gif: exit %d, %s", code, errs)
	}
}

// TestReadmePlotIsCurrent: the figure the README shows is what the
// command written under it makes today, byte for byte (the figure is
// deterministic), so it cannot drift from the program. -update rewrites it.
func TestReadmePlotIsCurrent(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	must(t, err)
	m := regexp.MustCompile("!\\[[^]]*\\]\\(([^)]+\\.png)\\) made by `psad ([^`]+)`").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md shows no plot made by a psad command")
	}
	shown := filepath.Join(repoRoot, filepath.FromSlash(string(m[1])))
	args := strings.Fields(string(m[2]))
	i := slices.Index(args, "--plot")
	if i < 0 || i+1 >= len(args) || args[i+1] != string(m[1]) {
		t.Fatalf("the README's command %q does not write the figure it shows (%s)", m[2], m[1])
	}
	for j, a := range args {
		if strings.HasPrefix(a, "testdata/") {
			args[j] = filepath.Join(repoRoot, filepath.FromSlash(a))
		}
	}
	made := filepath.Join(t.TempDir(), "plot.png")
	args[i+1] = made
	e := newTestEnv(t, nil, "")
	if _, errs, code := e.run(t, args...); code != 0 {
		t.Fatalf("psad %s: exit %d %s", m[2], code, errs)
	}
	got, err := os.ReadFile(made)
	must(t, err)
	if *update {
		must(t, os.WriteFile(shown, got, 0o644))
		return
	}
	want, err := os.ReadFile(shown)
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what `psad %s` makes now; run it (or go test ./internal/cli -run TestReadmePlotIsCurrent -update)", m[1], m[2])
	}
}
