package gnuplot

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/psadgo/psad/internal/fieldexpr"
)

// FuzzParseTokens guards the reading of --CSV-fields in gnuplot mode.
// Run indexes the columns that fieldexpr selects with the positions of
// these tokens (the counted column, the x, y and z axes), so the tokens
// must be the blank-separated words of the spec, in order and with
// nothing lost, and must be as many as fieldexpr's fields for every spec
// fieldexpr accepts, each naming the same field. A token's name is its
// text before the first ':', and its count keyword is the criterion's
// last comma-separated item (a single trailing comma aside) when that is
// one of the keywords, and nothing otherwise.
func FuzzParseTokens(f *testing.F) {
	for _, s := range []string{
		"timestamp dp:count", "src dst dp", "src dp:>1000,countuniq", "SRC:192.0.2.0/24, dp:countmin,",
		"timestamp proto:countmin", "proto flags:count", "intf log_prefix", " src\t\tdst:2001:db8::1\n dp:not22,countabs ",
		"dp:count,countuniq", "dp:", ":count", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		toks := parseTokens(spec)
		var joined strings.Builder
		for _, tk := range toks {
			if tk.raw == "" || strings.ContainsFunc(tk.raw, unicode.IsSpace) {
				t.Fatalf("parseTokens(%q): token %q is empty or holds a blank", spec, tk.raw)
			}
			joined.WriteString(tk.raw)

			name, crit, hasCrit := strings.Cut(tk.raw, ":")
			if tk.name != name {
				t.Fatalf("parseTokens(%q): token %q has name %q, want %q", spec, tk.raw, tk.name, name)
			}
			items := strings.Split(strings.TrimSuffix(crit, ","), ",")
			want := items[len(items)-1]
			if !hasCrit || !countKeywords[want] {
				want = ""
			}
			if tk.count != want {
				t.Fatalf("parseTokens(%q): token %q counts %q, want %q", spec, tk.raw, tk.count, want)
			}
		}
		var noBlanks strings.Builder
		for rest := spec; rest != ""; {
			r, size := utf8.DecodeRuneInString(rest)
			if !unicode.IsSpace(r) {
				noBlanks.WriteString(rest[:size]) // invalid UTF-8 kept as is
			}
			rest = rest[size:]
		}
		if joined.String() != noBlanks.String() {
			t.Fatalf("parseTokens(%q): tokens %q do not cover the spec", spec, toks)
		}
		e, err := fieldexpr.Parse(spec, false)
		if err != nil {
			return
		}
		fields := e.Fields()
		if len(fields) != len(toks) {
			t.Fatalf("parseTokens(%q): %d tokens, fieldexpr selects %d fields %q", spec, len(toks), len(fields), fields)
		}
		for i, tk := range toks {
			// Upper-case aliases (SRC, DPT, ...) name lower-case fields.
			if tk.name != fields[i] && strings.ToLower(tk.name) == tk.name {
				t.Fatalf("parseTokens(%q): token %d names %q, fieldexpr's field is %q", spec, i, tk.name, fields[i])
			}
		}
	})
}
