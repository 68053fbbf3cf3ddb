package lookup

import "testing"

func TestSanitize(t *testing.T) {
	for _, tc := range []struct {
		name, in        string
		want, wantASCII string
	}{
		{"plain", "inetnum: 10.0.0.0\nnetname: X\n", "inetnum: 10.0.0.0\nnetname: X\n", "inetnum: 10.0.0.0\nnetname: X\n"},
		{"crlf and tab", "a:\tb\r\nc\r\n", "a: b\nc\n", "a: b\nc\n"},
		{"nul and bell", "a\x00b\x07c\x7f", "abc", "abc"},
		{"csi", "\x1b[1;31mred\x1b[0m", "red", "red"},
		{"osc title bel", "\x1b]0;title\x07x", "x", "x"},
		{"osc title st", "\x1b]2;title\x1b\\x", "x", "x"},
		{"unterminated osc stops at newline", "\x1b]0;never\nnext", "\nnext", "\nnext"},
		{"unterminated csi stops at newline", "\x1b[12\nnext", "\nnext", "\nnext"},
		{"two-byte escape", "\x1bcreset", "reset", "reset"},
		{"trailing esc", "x\x1b", "x", "x"},
		{"c1 csi", "a\u009b2Jb", "a2Jb", "a2Jb"},
		{"bidi override", "abc\u202etxt.exe", "abctxt.exe", "abctxt.exe"},
		{"line separator", "a\u2028b", "ab", "ab"},
		{"utf8 kept", "Zürich", "Zürich", "ZNANArich"},
		{"invalid utf8", "a\xffb", "a\uFFFDb", "aNAb"},
		{"latin1", "M\xfcnchen\n", "M\uFFFDnchen\n", "MNAnchen\n"},
		{"newlines kept with force ascii", "a\nb\n\n", "a\nb\n\n", "a\nb\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sanitize(tc.in, false); got != tc.want {
				t.Errorf("Sanitize(%q, false) = %q, want %q", tc.in, got, tc.want)
			}
			if got := Sanitize(tc.in, true); got != tc.wantASCII {
				t.Errorf("Sanitize(%q, true) = %q, want %q", tc.in, got, tc.wantASCII)
			}
		})
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add("netname: X\x1b[2J\r\n\x00caf\xc3\xa9\u202e", true)
	f.Fuzz(func(t *testing.T, in string, ascii bool) {
		out := Sanitize(in, ascii)
		for _, r := range out {
			if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || dropRune(r)) {
				t.Fatalf("Sanitize(%q) = %q contains %U", in, out, r)
			}
			if ascii && r >= 0x80 {
				t.Fatalf("Sanitize(%q, true) = %q contains non-ASCII %U", in, out, r)
			}
		}
	})
}
