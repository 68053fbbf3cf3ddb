package argv

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestOptionDocsComplete: the manual page is made from OptionDocs, so an
// option missing there, or listed without a description, would be an
// undocumented option.
func TestOptionDocsComplete(t *testing.T) {
	docs := OptionDocs()
	byName := map[string]OptionDoc{}
	for _, d := range docs {
		if d.Desc == "" {
			t.Errorf("option %s has no description (add it to docHidden in doc.go)", d.Names[0])
		}
		if _, dup := byName[d.Names[0]]; dup {
			t.Errorf("option %s listed twice", d.Names[0])
		}
		byName[d.Names[0]] = d
	}
	for _, d := range optDefs {
		doc, ok := byName[d.name]
		if !ok {
			t.Errorf("option %s missing from OptionDocs", d.name)
			continue
		}
		if (d.kind == optFlag) != (doc.Arg == "") {
			t.Errorf("option %s: argument placeholder %q does not match its kind", d.name, doc.Arg)
		}
	}
	for name := range docHidden {
		if byName[name].Group != docHiddenGroup {
			t.Errorf("docHidden describes %s, which --help lists (or which does not exist)", name)
		}
	}
	if got := byName["messages-file"]; got.Arg != "file" || !strings.Contains(strings.Join(got.Names, " "), "m") {
		t.Errorf("messages-file doc %+v", got)
	}
}

func TestBuildString(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"none", nil, "unknown"},
		{"devel", &debug.BuildInfo{GoVersion: "go1.26.8"}, "(devel), go1.26.8"},
		{"vcs", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.1.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-05T08:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		}}, "v0.1.0, revision abc123+dirty (2026-12-05T08:00:00Z), go1.26.8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := BuildString(tc.bi); got != tc.want {
				t.Errorf("BuildString = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestOptionDocsNamesParse: every name the manual page and completion
// offer must be one ParseArgs resolves to that very option.
func TestOptionDocsNamesParse(t *testing.T) {
	for _, d := range OptionDocs() {
		for _, n := range d.Names {
			e, msg := optLookup(n)
			if e == nil {
				t.Errorf("%s: name %q does not parse: %s", d.Names[0], n, msg)
				continue
			}
			if e.def.name != d.Names[0] {
				t.Errorf("name %q resolves to %s, documented under %s", n, e.def.name, d.Names[0])
			}
		}
	}
}
