package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSummarizeRealRun runs go test -json on a throwaway module whose tests
// pass, fail and skip (one with a message, one in a subtest) and checks the
// summary keeps the closing lines and failed output, drops passing noise,
// lists each skip with its message, and reports the failure.
func TestSummarizeRealRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module with go test; not in -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command in PATH: %v", err)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.22\n")
	write("good/good_test.go", `package good
import "testing"
func TestPass(t *testing.T) { t.Log("chatty pass") }
func TestNeedsRoot(t *testing.T) { t.Skip("needs root for a network namespace") }
func TestTable(t *testing.T) {
	t.Run("ipv6", func(t *testing.T) { t.Skipf("no %s here", "IPv6") })
}
`)
	write("bad/bad_test.go", `package bad
import "testing"
func TestBroken(t *testing.T) { t.Error("wanted 2, got 3") }
`)
	cmd := exec.Command(goBin, "test", "-count=1", "-json", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	js, err := cmd.Output()
	if err == nil {
		t.Fatal("go test passed a module with a failing test")
	}
	var out bytes.Buffer
	failed, err := summarize(bytes.NewReader(js), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !failed {
		t.Error("summary did not report the failure")
	}
	got := out.String()
	for _, want := range []string{
		"--- FAIL: TestBroken",
		"wanted 2, got 3",
		"FAIL\texample.com/m/bad",
		"ok  \texample.com/m/good",
		"skipped: 2\n",
		"example.com/m/good TestNeedsRoot: good_test.go:4: needs root for a network namespace\n",
		"example.com/m/good TestTable/ipv6: good_test.go:6: no IPv6 here\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"chatty pass", "=== RUN", "--- PASS"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("summary has %q, which plain go test would not print:\n%s", unwanted, got)
		}
	}
}

func TestSummarizePassAndGarbage(t *testing.T) {
	in := `{"Action":"start","Package":"p"}
{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Output":"PASS\n"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.01s\n"}
{"Action":"pass","Package":"p"}
`
	var out bytes.Buffer
	failed, err := summarize(strings.NewReader(in), &out)
	if err != nil || failed {
		t.Fatalf("summarize = %v, %v on a passing run", failed, err)
	}
	if want := "ok  \tp\t0.01s\nskipped: 0\n"; out.String() != want {
		t.Errorf("summary = %q, want %q", out.String(), want)
	}
	if _, err := summarize(strings.NewReader(`{"Action":`+"\n"), &out); err == nil {
		t.Error("truncated JSON accepted")
	}
}
