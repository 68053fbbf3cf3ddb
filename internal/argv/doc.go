package argv

import (
	"slices"
	"strings"
)

// OptionDoc describes one option for the manual page and the shell
// completion, which cmd/psad-docs generates from this table rather than
// from a hand-kept copy that would drift from what ParseArgs accepts.
type OptionDoc struct {
	// Names are every name ParseArgs accepts for the option without
	// dashes: the canonical long name first, then aliases and letters.
	Names []string
	// Arg is the argument placeholder ("file", "number"), "" for flags.
	Arg string
	// Desc is the description, the one --help prints where it prints one.
	Desc string
	// Group is the heading the option is listed under.
	Group string
}

// helpGroupTitles names helpGroups in order, for the manual page.
var helpGroupTitles = []string{"Modes and actions", "Gnuplot", "CSV output", "Files and settings", "Switches"}

// docHiddenGroup lists the options --help leaves out.
const docHiddenGroup = "Options not listed by --help"

// docHidden describes the options psad's --help does not list (hidden
// psad options, HEAD 3.0-dev additions and this rebuild's own), so that
// the manual page still covers every option.
var docHidden = map[string]string{
	"analysis-fields":         "With -A, only count packets whose fields match these criteria (the --CSV-fields syntax).",
	"analysis-auto-block":     "With -A, also block the sources the analysis finds, as the daemon would.",
	"CSV-stdin":               "With --CSV, read the log lines from standard input.",
	"use-store-file":          "Accepted for compatibility with psad; has no effect.",
	"lib-dir":                 "Accepted for compatibility with psad (a Perl library directory); has no effect.",
	"no-icmp6-types":          "Do not check ICMPv6 types and codes.",
	"no-passive-os":           "Turn off passive operating system fingerprinting.",
	"no-reputation-feeds":     "Accepted from psad 3.0-dev and has no effect: this release has no reputation feeds.",
	"reputation-feeds-update": "psad 3.0-dev only: exits with status 2, since this release has no reputation feeds.",
	"reputation-feeds-list":   "psad 3.0-dev only: exits with status 2, since this release has no reputation feeds.",
	"test-mode":               "Run without side effects outside the configured directories (psad's test suite uses it).",
	"max-sources":             "Cap on the scan sources tracked at once; the least recently seen are forgotten first (0: built-in default).",
}

// OptionDocs returns every option ParseArgs accepts, each once, in
// --help's order followed by the options --help does not list.
func OptionDocs() []OptionDoc {
	var out []OptionDoc
	seen := map[*optDef]int{}
	add := func(d *optDef, names []string, arg, desc, group string) {
		i, ok := seen[d]
		if !ok {
			i = len(out)
			seen[d] = i
			out = append(out, OptionDoc{Names: docNames(d), Arg: docArg(d, arg), Desc: desc, Group: group})
		}
		// --help's short spellings (-A for --Analyze-msgs) are unique
		// prefixes ParseArgs resolves; list them with the option.
		for _, n := range names {
			if !slices.Contains(out[i].Names, n) {
				out[i].Names = append(out[i].Names, n)
			}
		}
	}
	for gi, g := range helpGroups {
		for _, e := range g {
			names, arg := docParseCol(e.col)
			var def *optDef
			for _, n := range names {
				if oe, _ := optLookup(n); oe != nil && (def == nil || len(n) > 1) {
					def = oe.def
				}
			}
			if def == nil {
				continue
			}
			add(def, names, arg, strings.ReplaceAll(e.desc, "%CONF%", "/etc/psad/psad.conf"), helpGroupTitles[gi])
		}
	}
	for i := range optDefs {
		d := &optDefs[i]
		if _, ok := seen[d]; !ok {
			add(d, nil, "", docHidden[d.name], docHiddenGroup)
		}
	}
	return out
}

// docParseCol returns the option names and the argument placeholder of a
// help column such as "-m,  --messages-file <file>".
func docParseCol(col string) (names []string, arg string) {
	if i := strings.Index(col, "<"); i >= 0 {
		col, arg = col[:i], strings.Trim(col[i:], "<> ")
	}
	for _, f := range strings.Fields(col) {
		if n := strings.TrimRight(strings.TrimLeft(f, "-"), ","); n != "" {
			names = append(names, n)
		}
	}
	return names, arg
}

func docNames(d *optDef) []string {
	names := append([]string{d.name}, d.aliases...)
	for _, l := range d.letters {
		if !slices.Contains(names, l) {
			names = append(names, l)
		}
	}
	return names
}

// docArg gives value options without a placeholder in --help a generic
// one, so the manual page shows that they take an argument.
func docArg(d *optDef, arg string) string {
	switch {
	case d.kind == optFlag:
		return ""
	case arg != "":
		return arg
	case d.kind == optInt:
		return "number"
	}
	return "value"
}
