// Package mail sends psad's alert, status and error mails, either to an
// SMTP server (go-mail) or through a local mail program (sendmail or
// mail/mailx) run with an argument vector.
//
// psad 2.4.6 runs `mail -s "<subject>" <addresses>` through /bin/sh with
// a subject that carries reverse-DNS names an attacker controls; here no
// shell is involved, and subjects and addresses are validated so that
// nothing in them can become a header, an option or a second recipient.
package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Message is one mail. Body is plain text with '\n' line ends (an alert
// from package alert); the senders encode it for transport.
type Message struct {
	From    string
	To      []string
	Subject string
	Body    []byte
}

// Sender delivers messages. Implementations are safe for concurrent use;
// Send returns when the message was handed over or failed, and stops
// early when ctx is done.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// maxSubject bounds a subject: a header line should stay well inside
// RFC 5322's 998 octets even after encoding.
const maxSubject = 512

// ErrUnsafe marks a message refused because a header value could inject
// headers, options or commands; callers can tell it from delivery errors
// with errors.Is.
var ErrUnsafe = errors.New("unsafe mail header value")

// CheckSubject returns an error wrapping [ErrUnsafe] when s cannot be used
// as a subject as it is: control characters (CR and LF above all, which
// would end the header and start another), invalid UTF-8, or more than
// maxSubject bytes. alert.Subject never produces such a subject.
func CheckSubject(s string) error {
	if len(s) > maxSubject {
		return fmt.Errorf("subject of %d bytes, more than %d: %w", len(s), maxSubject, ErrUnsafe)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("subject %q is not UTF-8: %w", s, ErrUnsafe)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x2028 || r == 0x2029 {
			return fmt.Errorf("subject %q contains control character %U: %w", s, r, ErrUnsafe)
		}
	}
	return nil
}

// CheckAddress returns an error wrapping [ErrUnsafe] unless a is a bare
// address local@domain that is safe as a command-line argument and a
// header value: the local part of letters, digits and ". _ % + = -", the
// domain of dot-separated labels of letters, digits and '-', and no
// leading '-' or '.' anywhere a program could read an option or an empty
// label. Quoted local parts, display names, IP literals and comments are
// refused: psad only needs plain addresses, and each of those forms
// carries characters a mail program or shell treats specially.
func CheckAddress(a string) error {
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 {
		return fmt.Errorf("address %q is not local@domain: %w", a, ErrUnsafe)
	}
	if len(a) > 254 { // RFC 5321 4.5.3.1.3 path limit minus the brackets
		return fmt.Errorf("address %q is too long: %w", a, ErrUnsafe)
	}
	local, domain := a[:at], a[at+1:]
	if local[0] == '-' || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return fmt.Errorf("address %q has a malformed local part: %w", a, ErrUnsafe)
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !isAlnum(c) && !strings.ContainsRune("._%+=-", rune(c)) {
			return fmt.Errorf("address %q: character %q not allowed in the local part: %w", a, c, ErrUnsafe)
		}
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' || len(label) > 63 {
			return fmt.Errorf("address %q has a malformed domain: %w", a, ErrUnsafe)
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlnum(c) && c != '-' {
				return fmt.Errorf("address %q: character %q not allowed in the domain: %w", a, c, ErrUnsafe)
			}
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ParseAddresses splits EMAIL_ADDRESSES into addresses. Commas and blanks
// both separate, in any mix ("a@x, b@y", "a@x,b@y", "a@x b@y"). psad only
// splits a comma followed by a blank and passes "a@x,b@y" to its mail
// program as one argument (operations spec 2.5.3); one address per
// argument is what that program expects. Every address must pass
// [CheckAddress]; an empty list is an error too.
func ParseAddresses(s string) ([]string, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	if len(fields) == 0 {
		return nil, fmt.Errorf("EMAIL_ADDRESSES %q names no address", s)
	}
	for _, a := range fields {
		if err := CheckAddress(a); err != nil {
			return nil, fmt.Errorf("EMAIL_ADDRESSES: %w", err)
		}
	}
	return fields, nil
}

// check validates the header values of m before a sender uses them.
func check(m *Message) error {
	if len(m.To) == 0 {
		return errors.New("mail has no recipient")
	}
	if m.From != "" {
		if err := CheckAddress(m.From); err != nil {
			return fmt.Errorf("from: %w", err)
		}
	}
	for _, a := range m.To {
		if err := CheckAddress(a); err != nil {
			return fmt.Errorf("to: %w", err)
		}
	}
	return CheckSubject(m.Subject)
}
