package config

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// lacksSemicolon reports whether line looks like a setting whose ';' was
// forgotten, and returns its first word. psad ignores such a line, so the
// variable silently keeps its default or, when required, is reported
// missing with no hint where the mistake is.
func lacksSemicolon(line string) (name string, bad bool) {
	t := strings.TrimLeft(line, " \t\r\f\v")
	if t == "" || t[0] == '#' || strings.IndexByte(t, ';') >= 0 {
		return "", false
	}
	if strings.TrimSpace(t) == "" {
		return "", false
	}
	name, _, _ = strings.Cut(strings.TrimSpace(t), " ")
	name, _, _ = strings.Cut(name, "\t")
	return name, true
}

// autoChainName matches IPT_AUTO_CHAIN1, IPT_AUTO_CHAIN2, ...: psad reads
// as many as are numbered consecutively.
var autoChainName = regexp.MustCompile(`^IPT_AUTO_CHAIN[0-9]+$`)

// knownNames is every variable psad 2.4.6 or psad-go reads: the required
// and optional lists plus everything the built-in psad.conf defines (which
// documents psad-go's own variables).
var knownNames = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, n := range required {
		m[n] = true
	}
	for _, d := range optionalDefaults {
		m[d.name] = true
	}
	for _, line := range strings.Split(string(defaultConf), "\n") {
		if name, value, ok := lexLine(line); ok {
			if _, isCmd := cmdKey(name, value); !isCmd {
				m[name] = true
			}
		}
	}
	return m
})

func isKnown(name string) bool {
	return knownNames()[name] || autoChainName.MatchString(name)
}

// requiredSet is required as a set.
var requiredSet = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, len(required))
	for _, n := range required {
		m[n] = true
	}
	return m
})

// checkUnknown turns variables no part of psad reads into warnings, or
// into an error when the name is a likely typo of a required variable:
// one edit away from it, or near it while the required one is missing.
// Unknown names stay defined, since a user may define a variable only to
// use it as $NAME in other values or in signatures.
func (c *Config) checkUnknown(unknown []*Error) error {
	for _, e := range unknown {
		near, d := closestKnown(e.Var)
		if near == "" {
			e.Msg = "unknown variable, not used by psad (only by $" + e.Var + " references)"
			c.warnings = append(c.warnings, "config warning, "+e.Error())
			continue
		}
		e.Msg = "unknown variable, did you mean " + near + "?"
		if _, defined := c.vars[near]; requiredSet()[near] && (d <= 1 || !defined) {
			return e
		}
		c.warnings = append(c.warnings, "config warning, "+e.Error())
	}
	return nil
}

// closestKnown returns the known name nearest to name and its distance,
// or "" when none is close enough to be a plausible misspelling: up to
// one edit for short names, two from eight characters on. A name that
// differs only in case counts as one edit.
func closestKnown(name string) (string, int) {
	if up := strings.ToUpper(name); up != name && knownNames()[up] {
		return up, 1
	}
	limit := 1
	if len(name) >= 8 {
		limit = 2
	}
	if len(name) < 4 {
		return "", 0
	}
	best, bestD := "", limit+1
	names := make([]string, 0, len(knownNames()))
	for n := range knownNames() {
		names = append(names, n)
	}
	slices.Sort(names) // ties go to the first name, the same every run
	for _, n := range names {
		if abs(len(n)-len(name)) >= bestD {
			continue
		}
		if d := editDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return "", 0
	}
	return best, bestD
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbouring bytes each cost one,
// the mistakes people make when typing a variable name.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// Warnings returns the problems Load found but could live with, such as
// unknown variables, each as one line starting "config warning, ". The
// caller prints them at start; [Config.Settings] includes them.
func (c *Config) Warnings() []string { return slices.Clone(c.warnings) }
