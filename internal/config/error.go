package config

import (
	"strconv"
	"strings"
)

// Error is a configuration problem that stops psad. Msg is psad's own
// wording where psad has one (for example
// "[*] STATUS_IP_THRESHOLD must be an integer >= 0 and <= 10000"), so the
// command line can print it as psad would; Error adds the position.
type Error struct {
	File string // config file; "" when the problem is not in one file
	Line int    // 1-based line, 0 when not line-specific
	Var  string // variable concerned, if any
	Msg  string
	Err  error // underlying cause, such as an *fs.PathError, or nil
}

// Error renders the problem as "file:line: VAR: message", leaving out the
// parts that are unknown and psad's "[*] " marker, with line breaks in Msg
// turned into spaces so the result fits one log line.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Var != "" {
		b.WriteString(e.Var)
		b.WriteString(": ")
	}
	msg := strings.TrimPrefix(e.Msg, "[*] ")
	b.WriteString(strings.ReplaceAll(msg, "\n", " "))
	return b.String()
}

// Unwrap returns the underlying cause, so errors.Is(err, fs.ErrNotExist)
// tells a missing file from a bad one.
func (e *Error) Unwrap() error { return e.Err }
