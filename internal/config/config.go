// Package config reads psad.conf and its -O override files with psad 2.4.6's
// rules, so that an existing psad installation's configuration works
// unchanged: the same line syntax, first definition wins, $VAR expansion,
// the same required variables and the same fatal messages.
//
// Loading does no I/O beyond reading the files: interface discovery,
// command resolution and other run-time adjustments belong to the caller.
package config

import (
	"slices"
	"strings"
)

// Config is one loaded configuration. It is not safe for concurrent
// mutation; callers apply command-line overrides with Set before sharing
// it, and a reload builds a fresh Config.
type Config struct {
	vars     map[string]*setting
	cmds     map[string]*setting
	mainFile string
	embedded bool

	fwSearchAll bool
	fwMsgSearch []string

	warnings []string // see Warnings
}

// setting is one value and where it came from.
type setting struct {
	value string
	file  string // "" for a default filled in by Load
	line  int
}

// Where Set records its values, for Line.
const commandLine = "(command line)"

// Get returns the value of a config variable exactly as loaded (after $VAR
// expansion and ENABLE_* normalisation, with any blanks psad keeps before
// the ';') and reports whether it is defined.
func (c *Config) Get(name string) (string, bool) {
	s, ok := c.vars[name]
	if !ok {
		return "", false
	}
	return s.value, true
}

// Str returns the value of name with surrounding blanks removed, or "" when
// name is not defined.
func (c *Config) Str(name string) string {
	v, _ := c.Get(name)
	return strings.TrimSpace(v)
}

// Int returns the value of name as a number the way Perl reads a string in
// numeric context, which is how psad uses its thresholds: leading blanks
// are skipped, an optional sign and the leading digits are used, and
// anything else (including an undefined variable) counts as 0. Values too
// large for an int are clamped.
func (c *Config) Int(name string) int {
	return perlInt(c.Str(name))
}

func perlInt(s string) int {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	const limit = int(^uint(0) >> 1)
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := int(s[i] - '0')
		if n > (limit-d)/10 {
			n = limit
			break
		}
		n = n*10 + d
	}
	if neg {
		return -n
	}
	return n
}

// Y reports whether name is "Y". ENABLE_* variables have been normalised
// by Load (YES becomes Y, NO becomes N); other Y/N switches are compared
// case-sensitively, as psad does, so "y" is not Y. Surrounding blanks are
// ignored.
func (c *Config) Y(name string) bool { return c.Str(name) == "Y" }

// Set defines or replaces a variable, for command-line options that
// override the file (for example --signatures sets SIGS_FILE). The value is
// used as given: no $VAR expansion and no validation.
func (c *Config) Set(name, value string) {
	c.vars[name] = &setting{value: value, file: commandLine}
	if name == "FW_SEARCH_ALL" && (value == "Y" || value == "N") {
		c.fwSearchAll = value == "Y"
	}
}

// Names returns the names of all defined variables, sorted.
func (c *Config) Names() []string { return sortedKeys(c.vars) }

// Line returns where name was defined: the file and 1-based line, or
// "(command line)" and 0 after Set. For a variable Load filled in with
// psad's default, and for an undefined one, it returns "" and 0.
func (c *Config) Line(name string) (file string, line int) {
	if s, ok := c.vars[name]; ok {
		return s.file, s.line
	}
	return "", 0
}

// IsDefault reports whether name was not in any file and Load supplied
// psad's default for it (see the "used but not required" variables).
// psad's -D dump shows only variables the files define.
func (c *Config) IsDefault(name string) bool {
	s, ok := c.vars[name]
	return ok && s.file == ""
}

// Cmd returns the path of an external program defined by a
// "<name>Cmd /path;" line, after $VAR expansion.
func (c *Config) Cmd(name string) (string, bool) {
	s, ok := c.cmds[name]
	if !ok {
		return "", false
	}
	return s.value, true
}

// SetCmd sets the path of an external program, for example when
// ENABLE_OVERRIDE_FW_CMD makes FW_CMD replace iptables.
func (c *Config) SetCmd(name, path string) {
	c.cmds[name] = &setting{value: path, file: commandLine}
}

// CmdNames returns the keys of all command paths (the names without
// "Cmd"), sorted.
func (c *Config) CmdNames() []string { return sortedKeys(c.cmds) }

// MainFile returns the path of the main config file as given to Load, or
// the name given to Parse.
func (c *Config) MainFile() string { return c.mainFile }

// Embedded reports whether c came from Default rather than a file.
func (c *Config) Embedded() bool { return c.embedded }

// FWSearchAll reports whether every firewall log line is analysed
// (FW_SEARCH_ALL=Y). psad decides this from the main file alone: a main
// file line "FW_SEARCH_ALL Y;" or "FW_SEARCH_ALL N;" wins, the last one if
// there are several, even over an override file; otherwise the loaded
// value counts if it is exactly Y or N; anything else means Y.
func (c *Config) FWSearchAll() bool { return c.fwSearchAll }

// FWMsgSearch returns the FW_MSG_SEARCH strings, which psad collects only
// from the main file (override files cannot add or replace them), every
// line adding one, unexpanded. When FW_SEARCH_ALL is N and the main file
// has none, the list is just "DROP".
func (c *Config) FWMsgSearch() []string {
	if !c.fwSearchAll && len(c.fwMsgSearch) == 0 {
		return []string{"DROP"}
	}
	return slices.Clone(c.fwMsgSearch)
}

func sortedKeys(m map[string]*setting) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
