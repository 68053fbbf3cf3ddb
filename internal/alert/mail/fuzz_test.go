package mail

import (
	netmail "net/mail"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseAddresses guards EMAIL_ADDRESSES, whose addresses become
// arguments of the mail program and SMTP envelope and header values: an
// accepted address must be one plain address that net/mail reads back
// as itself, must not look like an option, and must hold nothing a
// shell, a mail program or a header treats specially.
func FuzzParseAddresses(f *testing.F) {
	for _, s := range []string{"root@localhost", "a@x.example, b@y.example", "a@x,b@y c@z", "-oQ/tmp@x", "\"a b\"@x", "a@[127.0.0.1]", "a..b@x", "a@x\r\nBcc: e@vil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addrs, err := ParseAddresses(s)
		if err != nil {
			return
		}
		if len(addrs) == 0 {
			t.Fatalf("ParseAddresses(%q) accepted no address", s)
		}
		for _, a := range addrs {
			if strings.HasPrefix(a, "-") || strings.ContainsAny(a, " \t\r\n,;<>()\"'`$\\|&*?[]{}!#~") {
				t.Fatalf("ParseAddresses(%q) accepted %q", s, a)
			}
			p, err := netmail.ParseAddress(a)
			if err != nil || p.Address != a || p.Name != "" {
				t.Fatalf("ParseAddresses(%q) accepted %q, which net/mail reads as %v, %v", s, a, p, err)
			}
		}
	})
}

// FuzzCheckSubject: a subject that passes goes into a header line as it
// is, so a message with it must read back with that one header and that
// value, and it must be valid UTF-8.
func FuzzCheckSubject(f *testing.F) {
	for _, s := range []string{"[psad-alert] DL3 src: 192.0.2.1", "a\r\nBcc: e@vil", "a\rb", "\u2028", "caf\xe9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckSubject(s) != nil {
			return
		}
		m, err := netmail.ReadMessage(strings.NewReader("Subject: " + s + "\r\n\r\nbody\r\n"))
		if err != nil || len(m.Header) != 1 || m.Header.Get("Subject") != strings.Trim(s, " \t") || !utf8.ValidString(s) {
			t.Fatalf("CheckSubject accepted %q: the message reads as %v, %v", s, m, err)
		}
	})
}
