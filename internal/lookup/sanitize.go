package lookup

import (
	"strings"
	"unicode/utf8"
)

// Sanitize makes whois (or other server-supplied) text safe to put in an
// email or print on a terminal, keeping its line structure.
//
// It removes ANSI/VT escape sequences (ESC [ ... and ESC ] ... BEL or
// ESC \), all other C0 and C1 control characters except newline, Unicode
// line and paragraph separators and bidirectional overrides (which can make
// text display differently from what it says). A carriage return is removed,
// so CRLF becomes LF; a tab becomes a space. Invalid UTF-8 becomes U+FFFD.
//
// With forceASCII (ENABLE_WHOIS_FORCE_ASCII=Y) every remaining byte outside
// 0x20-0x7E becomes the two characters "NA", as in psad. Unlike psad, which
// replaced newlines as well and so joined the record into one line, newlines
// are kept.
func Sanitize(text string, forceASCII bool) string {
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); {
		c := text[i]
		if c == 0x1b {
			i = skipEscape(text, i)
			continue
		}
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '\n':
				b.WriteByte(c)
			case c == '\t':
				b.WriteByte(' ')
			case c < 0x20 || c == 0x7f:
			default:
				b.WriteByte(c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			if forceASCII {
				b.WriteString("NA")
			} else {
				b.WriteRune(utf8.RuneError)
			}
		case dropRune(r):
		case forceASCII:
			for range size {
				b.WriteString("NA")
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dropRune reports whether a non-ASCII rune is removed by Sanitize: C1
// controls (0x9B is CSI on 8-bit terminals), line/paragraph separators,
// and the bidirectional formatting characters used to reorder displayed
// text.
func dropRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separator
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	}
	return false
}

// skipEscape returns the index after the escape sequence starting at the
// ESC at text[i]. CSI sequences run to a final byte in 0x40-0x7E; OSC, DCS,
// SOS, PM and APC strings run to BEL or ESC \ (or the end of the line, so a
// missing terminator cannot swallow the rest of the record); any other
// escape is ESC plus one byte.
func skipEscape(text string, i int) int {
	i++ // ESC
	if i >= len(text) {
		return i
	}
	switch text[i] {
	case '[':
		for i++; i < len(text); i++ {
			c := text[i]
			if c >= 0x40 && c <= 0x7e {
				return i + 1
			}
			if c == '\n' {
				return i
			}
		}
		return i
	case ']', 'P', 'X', '^', '_':
		for i++; i < len(text); i++ {
			switch text[i] {
			case 0x07:
				return i + 1
			case '\n':
				return i
			case 0x1b:
				if i+1 < len(text) && text[i+1] == '\\' {
					return i + 2
				}
			}
		}
		return i
	case '\n':
		return i
	}
	if text[i] < utf8.RuneSelf {
		return i + 1
	}
	return i
}
