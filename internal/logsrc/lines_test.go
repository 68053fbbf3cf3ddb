package logsrc

import (
	"strings"
	"testing"
)

func TestEach(t *testing.T) {
	long := strings.Repeat("x", MaxLine+10)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"one unterminated", "a", []string{"a"}},
		{"crlf", "a\r\nb\n", []string{"a", "b"}},
		{"blank lines kept", "a\n\nb\n", []string{"a", "", "b"}},
		{"long line cut", long + "\nz\n", []string{long[:MaxLine], "z"}},
		{"line longer than buffer", strings.Repeat("y", 300<<10) + "\n", []string{strings.Repeat("y", 300<<10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			if err := Each(strings.NewReader(tt.in), func(l []byte) bool { got = append(got, string(l)); return true }); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d: got %.20q (len %d), want %.20q (len %d)", i, got[i], len(got[i]), tt.want[i], len(tt.want[i]))
				}
			}
		})
	}
}

func TestEachStops(t *testing.T) {
	n := 0
	Each(strings.NewReader("a\nb\nc\n"), func([]byte) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("fn called %d times after asking to stop at 2", n)
	}
}
