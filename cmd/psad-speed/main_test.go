package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestSpeedReportsBoth builds psad and runs the measurement on a small
// log: both timings must be printed, and the report must have been made.
func TestSpeedReportsBoth(t *testing.T) {
	if _, err := exec.LookPath("grep"); err != nil {
		t.Skip("grep is not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "psad")
	if out, err := exec.Command("go", "build", "-o", bin, "../psad").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var out bytes.Buffer
	if err := run(bin, 3000, 1, filepath.Join(dir, "work"), &out); err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`log: 3000 lines, .* report: [1-9][0-9]* lines`,
		`grep -c SRC= +[0-9.]+ s +[0-9]+ lines/s +CPU [0-9.]+ s`,
		`psad -A +[0-9.]+ s +[0-9]+ lines/s +CPU [0-9.]+ s +\([0-9.]+x grep\)`,
	} {
		if !regexp.MustCompile(re).Match(out.Bytes()) {
			t.Errorf("output lacks %q:\n%s", re, out.String())
		}
	}
}
