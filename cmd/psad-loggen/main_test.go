package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/loggen"
)

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestScenario(t *testing.T) {
	code, out, errs := runCmd("syn_sweep")
	if code != 0 || out != string(loggen.SynSweep()) || errs != "" {
		t.Errorf("exit %d, stderr %q, stdout matches: %v", code, errs, out == string(loggen.SynSweep()))
	}
}

func TestList(t *testing.T) {
	code, out, _ := runCmd("-list")
	if code != 0 || out != strings.Join(loggen.Names(), "\n")+"\n" {
		t.Errorf("exit %d, output %q", code, out)
	}
}

func TestMixed(t *testing.T) {
	code, out, _ := runCmd("-mixed", "100", "-seed", "3")
	var want bytes.Buffer
	if err := loggen.Mixed(&want, 100, 3); err != nil {
		t.Fatal(err)
	}
	if code != 0 || out != want.String() || strings.Count(out, "\n") != 100 {
		t.Errorf("exit %d, %d lines", code, strings.Count(out, "\n"))
	}
}

func TestVariants(t *testing.T) {
	code, out, _ := runCmd("-variants", "50", "-seed", "4")
	var want bytes.Buffer
	if err := loggen.Variants(&want, 50, 4); err != nil {
		t.Fatal(err)
	}
	if code != 0 || out != want.String() || strings.Count(out, "\n") != 50 {
		t.Errorf("exit %d, %d lines", code, strings.Count(out, "\n"))
	}
	if code, _, errs := runCmd("-variants", "5", "-mixed", "5"); code != 2 || !strings.Contains(errs, "usage") {
		t.Errorf("-variants with -mixed: exit %d, stderr %q", code, errs)
	}
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCmd("-dir", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, name := range loggen.Names() {
		got, err := os.ReadFile(filepath.Join(dir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, loggen.Scenarios[name]()) {
			t.Errorf("%s.log differs from the scenario", name)
		}
	}
	if code, _, errs := runCmd("-dir", filepath.Join(dir, "missing")); code != 1 || !strings.Contains(errs, "psad-loggen: ") {
		t.Errorf("missing directory: exit %d, stderr %q", code, errs)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"-list", "syn_sweep"}, {"a", "b"}, {"-bogus"}, {"-mixed", "x"}} {
		if code, _, errs := runCmd(args...); code != 2 || !strings.Contains(errs, "usage") && !strings.Contains(errs, "invalid") && !strings.Contains(errs, "not defined") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
	code, _, errs := runCmd("no_such_scan")
	if code != 1 || !strings.Contains(errs, `unknown scenario "no_such_scan"`) {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if code, _, _ := runCmd("-h"); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
}
