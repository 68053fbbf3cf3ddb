package alert

import (
	"strings"
	"unicode/utf8"
)

// Clean returns s as one line of plain text: every control character
// (C0 including CR, LF and TAB, DEL, C1), every byte that is not UTF-8 and
// the Unicode characters that reorder or break lines (U+2028, U+2029 and
// the bidirectional overrides and isolates, the "Trojan Source" set) are
// replaced by a visible Go-style escape ("\r", "\x1b", "\u202e"). Escaping
// rather than dropping keeps forged input visible to whoever reads the
// alert. Text without such characters is returned unchanged.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			escByte(&b, s[i])
		case r < 0x20 || r == 0x7f:
			if e := shortEsc(r); e != "" {
				b.WriteString(e)
			} else {
				escByte(&b, byte(r))
			}
		case unsafeRune(r):
			escRune(&b, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			// Non-ASCII is rare in alerts: take the slow path for it.
			return false
		}
	}
	return true
}

// unsafeRune reports whether r is a C1 control or a character that
// changes line structure or display order.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028 || r == 0x2029: // line and paragraph separators
		return true
	case r >= 0x202a && r <= 0x202e: // bidi embeddings and overrides
		return true
	case r >= 0x2066 && r <= 0x2069: // bidi isolates
		return true
	case r == 0x200e || r == 0x200f || r == 0x061c || r == 0xfeff:
		return true
	}
	return false
}

func shortEsc(r rune) string {
	switch r {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\v':
		return `\v`
	}
	return ""
}

const hexDigits = "0123456789abcdef"

func escByte(b *strings.Builder, c byte) {
	b.WriteString(`\x`)
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&15])
}

func escRune(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	for s := 12; s >= 0; s -= 4 {
		b.WriteByte(hexDigits[(r>>uint(s))&15])
	}
}

// truncate shortens s to at most n bytes without splitting a UTF-8
// sequence, marking the cut with "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// Length limits. maxLine keeps every body line within SMTP's 998-octet
// limit (RFC 5321 4.5.3.1.6) after the 23-column label; maxName is the
// longest DNS name (RFC 1035); maxSubject keeps a subject on a line that
// mail programs and MTAs handle without folding surprises.
const (
	maxLine    = 990
	maxName    = 253
	maxSubject = 255
)

// mailHeaders are header names that mail programs or MTAs act on when
// they appear in a header block: addressing, origin, MIME structure and
// the trace fields. A body line that starts with one of them gets a
// leading blank (see neutralise), so no alert line can be mistaken for a
// header, whoever parses the text.
var mailHeaders = []string{
	"apparently-to", "bcc", "cc", "comments", "date", "delivered-to",
	"disposition-notification-to", "errors-to", "from", "in-reply-to",
	"keywords", "message-id", "mime-version", "received", "references",
	"reply-to", "return-path", "return-receipt-to", "sender", "subject",
	"to",
}

// mailHeaderPrefixes are header families matched by prefix.
var mailHeaderPrefixes = []string{"content-", "resent-", "list-", "dkim-", "arc-"}

// neutralise returns line with a leading blank when its start could be
// read as something other than text by the programs an alert passes
// through: a mail header (above), an mbox "From " separator, a mailx tilde
// escape ("~!cmd" runs a shell command in BSD mail) or a lone "." (end of
// input for some mail programs and for SMTP without dot-stuffing).
func neutralise(line string) string {
	switch {
	case line == ".", strings.HasPrefix(line, "~"), strings.HasPrefix(line, "From "):
		return " " + line
	}
	colon := strings.IndexByte(line, ':')
	if colon <= 0 {
		return line
	}
	name := line[:colon]
	for i := 0; i < len(name); i++ {
		// RFC 5322 field names are printable ASCII without blanks; "a b:"
		// is not a header.
		if c := name[i]; c <= ' ' || c >= 0x7f {
			return line
		}
	}
	name = strings.ToLower(name)
	for _, h := range mailHeaders {
		if name == h {
			return " " + line
		}
	}
	for _, p := range mailHeaderPrefixes {
		if strings.HasPrefix(name, p) {
			return " " + line
		}
	}
	return line
}
