package main

import (
	"bytes"
	"os"
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
		`psad -A 1 CPU +[0-9.]+ s +[0-9]+ lines/s +CPU [0-9.]+ s +\(of [1-9][0-9]* CPUs here\)`,
	} {
		if !regexp.MustCompile(re).Match(out.Bytes()) {
			t.Errorf("output lacks %q:\n%s", re, out.String())
		}
	}
}

// TestStartOnOneCPU checks that the one-core run's child may run on one
// CPU only, and that children started plainly before and after it may
// run on the same CPUs: the mask is the kernel's own list in the
// child's /proc/self/status.
func TestStartOnOneCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	allowed := func(start func(*exec.Cmd) error) string {
		var out bytes.Buffer
		cmd := exec.Command("cat", "/proc/self/status")
		cmd.Stdout = &out
		if err := start(cmd); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^Cpus_allowed_list:\s*(\S+)$`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no Cpus_allowed_list in:\n%s", out.String())
		}
		return m[1]
	}
	plain := func(cmd *exec.Cmd) error { return cmd.Start() }
	before := allowed(plain)
	if got := allowed(startOnOneCPU); !regexp.MustCompile(`^[0-9]+$`).MatchString(got) {
		t.Errorf("the child may run on CPUs %q, want one", got)
	}
	if after := allowed(plain); after != before {
		t.Errorf("a child started after may run on CPUs %q, one started before on %q", after, before)
	}
}
