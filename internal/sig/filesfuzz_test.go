package sig

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

// The fuzz targets below give the small data-file loaders any text
// through their line rules (scanReader with the rule each loader uses on
// its file). Every one must load or refuse without a panic, and what
// loads must hold only what the matcher and the report can use.

// loads runs a loader's line rule over data and reports whether the text
// loaded. A refusal must be an error the loader may give on text: a
// ParseError with a line, or the scanner's own error named by file.
func loads(t *testing.T, data string, rule func(string, int) error) bool {
	t.Helper()
	err := scanReader(strings.NewReader(data), "f", rule)
	var pe *ParseError
	switch {
	case err == nil:
		return true
	case errors.As(err, &pe):
		if pe.File != "f" || pe.Line < 1 {
			t.Fatalf("error at %s:%d", pe.File, pe.Line)
		}
	case !strings.HasPrefix(err.Error(), "f: "):
		t.Fatalf("error without the file: %v", err)
	}
	return false
}

func FuzzLoadClassification(f *testing.F) {
	f.Add("config classification: attempted-recon,Attempted Information Leak,2\n# c\nconfig classification: bad,,x\n")
	f.Add("config classification:  spaced name , d ,9\r\nconfig classification:,x,1\n")
	f.Fuzz(func(t *testing.T, data string) {
		m := make(map[string]int)
		if !loads(t, data, classificationLine(m)) {
			return
		}
		for name, dl := range m {
			if dl < 1 || dl > 5 {
				t.Fatalf("classtype %q has danger level %d", name, dl)
			}
			if name == "" || name != strings.TrimSpace(name) || strings.Contains(name, ",") {
				t.Fatalf("classtype name %q", name)
			}
		}
	})
}

func FuzzLoadReferences(f *testing.F) {
	f.Add("config reference: bugtraq http://www.example.org/bid/\nconfig reference: CVE http://cve.example.org/\n")
	f.Add("config reference: url\nconfig reference:\turl\thttp://\n#config reference: a b\n")
	f.Fuzz(func(t *testing.T, data string) {
		m := make(map[string]string)
		if !loads(t, data, referenceLine(m)) {
			return
		}
		for k, v := range m {
			if k == "" || v == "" || k != strings.ToLower(k) || strings.ContainsFunc(k+v, unicode.IsSpace) {
				t.Fatalf("reference type %q url %q", k, v)
			}
		}
	})
}

func FuzzLoadRuleDL(f *testing.F) {
	f.Add("# sid dl\n2001219 3\n1000001\t5;\n1000002 6\n99999999999 1\n12 x\n")
	f.Add("0 0\n2147483647 5;; trailing\n2147483648 1\n")
	f.Fuzz(func(t *testing.T, data string) {
		m := make(map[int]int)
		var warns []Warning
		if !loads(t, data, ruleDLLine(m, &warns, "f")) {
			return
		}
		for sid, dl := range m {
			if sid < 0 || sid > 1<<31-1 || dl < 0 || dl > 5 {
				t.Fatalf("sid %d danger level %d loaded", sid, dl)
			}
		}
		lines := strings.Count(data, "\n") + 1
		for i, w := range warns {
			if w.File != "f" || w.Line < 1 || w.Line > lines || i > 0 && warns[i-1].Line >= w.Line {
				t.Fatalf("warning %d at %s:%d of %d lines (one a line, in order)", i, w.File, w.Line, lines)
			}
		}
	})
}

// FuzzLoadIPOptions also decodes an option string with the table loaded:
// a file of any lengths must not let decode step outside the string or
// record a value the table does not know.
func FuzzLoadIPOptions(f *testing.F) {
	f.Add("# value len keyword description\n7 -1 rr Record Route\n1 1 nop No Operation\n68 -1 ts Time Stamp\n", []byte("0707040000000001"))
	f.Add("0 0 z zero length\n255 40 top\n", []byte("00ff00"))
	f.Add("7 -1 rr\n", []byte("0701"))
	f.Fuzz(func(t *testing.T, data string, h []byte) {
		tab := make(map[int]IPOption)
		if !loads(t, data, ipOptionLine(tab, "f")) {
			return
		}
		for v, o := range tab {
			if v < 0 || v > 255 || o.Len < -1 || o.Len > 40 || o.Keyword == "" {
				t.Fatalf("option %d loaded as %+v", v, o)
			}
		}
		ot := newOptTable(tab)
		m := ot.decode(h)
		for v := range 256 {
			var one optMask
			one.set(v)
			if m.hits(&one) && !ot.known[v] {
				t.Fatalf("decode(%q) records option %d, not in the table", h, v)
			}
		}
	})
}
