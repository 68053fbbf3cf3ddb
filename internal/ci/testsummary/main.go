// Command testsummary reads `go test -json` on standard input and prints
// what plain `go test` would (each package's closing ok/FAIL line, the
// output of failed tests, build errors), then a "skipped:" section naming
// every skipped test with its skip message. CI runs the suite through it
// so that a test skipped for a missing tool or privilege is visible in the
// log instead of passing as a quiet "ok".
//
// The exit status is 1 when a test or package failed or the input could
// not be read, so a pipeline with pipefail fails with the suite.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	failed, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testsummary: %v\n", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

// event is the part of a test2json record used here (go doc test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// skip is one skipped test and the lines it logged.
type skip struct {
	pkg, test string
	msg       []string
}

// summarize copies in's test results to out in go test's non-verbose form
// followed by the skipped tests, and reports whether anything failed.
func summarize(in io.Reader, out io.Writer) (failed bool, err error) {
	type key struct{ pkg, test string }
	pending := map[key][]string{} // output of a running test, kept until it ends
	var skips []skip
	sc := bufio.NewScanner(in)
	// A test that logs a long line yields one long JSON record.
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		if len(raw) == 0 || raw[0] != '{' {
			// go test prints some errors (a bad flag, a missing package)
			// as plain text before any JSON.
			fmt.Fprintf(out, "%s\n", raw)
			continue
		}
		var e event
		if err := json.Unmarshal(raw, &e); err != nil {
			return true, fmt.Errorf("input line %d: %w", line, err)
		}
		k := key{e.Package, e.Test}
		switch {
		case e.Action == "build-output":
			io.WriteString(out, e.Output)
		case e.Action == "output" && e.Test == "":
			// Package-level lines: the closing ok/FAIL, panics outside a
			// test, "no test files". The bare PASS of a verbose run is
			// what go test without -v leaves out.
			if e.Output != "PASS\n" {
				io.WriteString(out, e.Output)
			}
		case e.Action == "output":
			// "=== RUN" and its kin frame a verbose run's output; go
			// test without -v prints a failed test's output without them.
			if !strings.HasPrefix(e.Output, "=== ") {
				pending[k] = append(pending[k], e.Output)
			}
		case e.Action == "fail":
			failed = true
			for _, o := range pending[k] {
				io.WriteString(out, o)
			}
			delete(pending, k)
		case e.Action == "skip" && e.Test != "":
			s := skip{pkg: e.Package, test: e.Test}
			for _, o := range pending[k] {
				t := strings.TrimSpace(o)
				if t == "" || strings.HasPrefix(t, "--- SKIP") {
					continue
				}
				s.msg = append(s.msg, t)
			}
			skips = append(skips, s)
			delete(pending, k)
		case e.Action == "pass" || e.Action == "skip":
			delete(pending, k)
		}
	}
	if err := sc.Err(); err != nil {
		return true, fmt.Errorf("input line %d: %w", line+1, err)
	}
	fmt.Fprintf(out, "skipped: %d\n", len(skips))
	for _, s := range skips {
		msg := strings.Join(s.msg, " / ")
		if msg == "" {
			msg = "(no message)"
		}
		fmt.Fprintf(out, "  %s %s: %s\n", s.pkg, s.test, msg)
	}
	return failed, nil
}
