package pipeline

import (
	"bytes"
	"testing"
)

// FuzzHasText: hasText agrees with len(bytes.TrimSpace(b)) > 0 on any
// bytes, Unicode white space and invalid UTF-8 included.
func FuzzHasText(f *testing.F) {
	for _, s := range []string{"", " ", "\t\n\v\f\r ", "DROP", " DROP ", "\x00", "\x1f",
		"\u00a0", "\u0085", " \u2003 ", "\u3000x", "\xff", " \xc2", "é", "\x85"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := hasText(b), len(bytes.TrimSpace(b)) > 0; got != want {
			t.Errorf("hasText(%q) = %v, TrimSpace says %v", b, got, want)
		}
	})
}
