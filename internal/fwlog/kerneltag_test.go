package fwlog

import (
	"bytes"
	"testing"
)

// raceEnabled is set by race_test.go: the race detector's instrumentation
// allocates, so allocation counts mean nothing under it.
var raceEnabled bool

var kernelTags = [][]byte{[]byte("kernel"), []byte("fw")}

func TestKernelTagged(t *testing.T) {
	for _, c := range []struct {
		name, line string
		want       bool
	}{
		{"classic", "Mar  1 20:35:11 host kernel: DROP IN=eth0 OUT= SRC=192.0.2.7", true},
		{"classic two-digit day", "Mar 07 05:09:30 host kernel: IN=eth0 OUT=", true},
		{"short-precise", "Mar 07 05:09:30.123456 host kernel: IN=eth0 OUT=", true},
		{"second tag", "Mar  1 20:35:11 host fw: IN=eth0 OUT=", true},
		{"tag without colon", "Mar  1 20:35:11 host kernel IN=eth0 OUT=", true},
		{"tabs", "Mar\t1\t20:35:11\thost\tkernel:\tIN=eth0 OUT=", true},
		{"iso", "2015-03-07T05:09:30.045015+02:00 host kernel: IN=eth0 OUT=", true},
		{"iso zulu", "2015-03-07T05:09:30Z fw1 kernel: IN=eth0 OUT=", true},
		{"leading blanks", "  Mar  1 20:35:11 host kernel: IN=eth0 OUT=", true},
		{"logger", "Mar  1 20:35:11 host root: IN=eth0 OUT= SRC=192.0.2.7", false},
		{"logger pid", "Mar  1 20:35:11 host logger[123]: IN=eth0 OUT=", false},
		{"iso logger", "2015-03-07T05:09:30Z host alice: kernel: IN=eth0 OUT=", false},
		{"tag as message", "Mar  1 20:35:11 host app: kernel: IN=eth0 OUT=", false},
		{"prefix of tag", "Mar  1 20:35:11 host kern: IN=eth0 OUT=", false},
		{"longer tag", "Mar  1 20:35:11 host kernels: IN=eth0 OUT=", false},
		{"colon only", "Mar  1 20:35:11 host : IN=eth0 OUT=", false},
		{"four fields", "Mar  1 20:35:11 host", false},
		{"four fields and blank", "Mar  1 20:35:11 host   ", false},
		{"no header", "IN=eth0 OUT= SRC=192.0.2.7", false},
		{"empty", "", false},
		{"blank", " \t ", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := KernelTagged([]byte(c.line), kernelTags); got != c.want {
				t.Errorf("KernelTagged(%q) = %v, want %v", c.line, got, c.want)
			}
			if got := naiveKernelTagged([]byte(c.line), kernelTags); got != c.want {
				t.Errorf("naive oracle disagrees on %q: %v", c.line, got)
			}
		})
	}
	if KernelTagged([]byte("Mar  1 20:35:11 host kernel: x"), nil) {
		t.Error("no tags: a line is kernel-tagged")
	}
}

func TestKernelTaggedNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	for _, line := range []string{
		"Mar  1 20:35:11 host kernel: DROP IN=eth0 OUT= SRC=192.0.2.7",
		"2015-03-07T05:09:30.045015+02:00 host logger: IN=eth0 OUT=",
		"short",
	} {
		b := []byte(line)
		if n := testing.AllocsPerRun(100, func() { KernelTagged(b, kernelTags) }); n != 0 {
			t.Errorf("%q: %v allocs per call, want 0", line, n)
		}
	}
}

// naiveKernelTagged is the obvious reading of the rule, splitting into
// fields first: the oracle for the fuzz target.
func naiveKernelTagged(line []byte, tags [][]byte) bool {
	f := bytes.FieldsFunc(line, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
	idx := 4
	if len(f) > 0 && isDigit(f[0][0]) {
		idx = 2
	}
	if len(f) <= idx {
		return false
	}
	tag := bytes.TrimSuffix(f[idx], []byte(":"))
	for _, t := range tags {
		if bytes.Equal(tag, t) {
			return true
		}
	}
	return false
}

// FuzzKernelTagged checks KernelTagged against the field-splitting oracle.
func FuzzKernelTagged(f *testing.F) {
	f.Add([]byte("Mar  1 20:35:11 host kernel: DROP IN=eth0 OUT= SRC=192.0.2.7"), []byte("kernel"))
	f.Add([]byte("2015-03-07T05:09:30Z fw1 kernel: IN=eth0 OUT="), []byte("kernel"))
	f.Add([]byte("Mar  1 20:35:11 host root: IN=eth0 OUT="), []byte("kernel"))
	f.Fuzz(func(t *testing.T, line, tag []byte) {
		tags := [][]byte{tag}
		if got, want := KernelTagged(line, tags), naiveKernelTagged(line, tags); got != want {
			t.Fatalf("KernelTagged(%q, %q) = %v, oracle says %v", line, tag, got, want)
		}
	})
}
