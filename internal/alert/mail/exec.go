package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ExecConfig is how to run a local mail program.
type ExecConfig struct {
	// Path is the program, an absolute path such as /usr/sbin/sendmail
	// or /usr/bin/mail (psad's MAIL_CMD / SENDMAIL_CMD).
	Path string
	// Mode is "sendmail": run Path -oi -t with the headers and the body on
	// standard input; or "mail": run Path -s <subject> <addresses...> with
	// the body on standard input, as psad does.
	Mode string
	// Timeout bounds one run; the program is killed after it. 0 means 60s.
	Timeout time.Duration
	// Args go right after Path, before the mode's own arguments: psad's
	// EMAIL_APPEND_HEADER, such as "-a From:psad@example.com".
	Args []string
}

// ExecSender runs a mail program per message with an argument vector,
// never a shell, so nothing in a subject or address is interpreted.
type ExecSender struct {
	cfg ExecConfig
}

// NewExec returns a sender for c; a bad Path or Mode is reported by Send.
func NewExec(c ExecConfig) *ExecSender {
	if c.Timeout <= 0 {
		c.Timeout = 60 * time.Second
	}
	return &ExecSender{cfg: c}
}

// maxOutput bounds how much of the program's output is kept for an error.
const maxOutput = 4096

// Send validates m and runs the program. A non-zero exit, a kill after
// Timeout or ctx being done is an error that quotes the start of the
// program's output.
func (s *ExecSender) Send(ctx context.Context, m *Message) error {
	if !filepath.IsAbs(s.cfg.Path) {
		return fmt.Errorf("mail program %q is not an absolute path", s.cfg.Path)
	}
	if err := check(m); err != nil {
		return fmt.Errorf("%s: %w", s.cfg.Path, err)
	}
	var args []string
	var stdin []byte
	switch s.cfg.Mode {
	case "sendmail":
		// -oi: a line with a single dot does not end the input; -t: the
		// recipients are the To: header, written by us.
		args = []string{"-oi", "-t"}
		stdin = sendmailInput(m)
	case "mail":
		// Every address passed CheckAddress, so none starts with '-' and
		// none can be taken for an option.
		args = append([]string{"-s", m.Subject}, m.To...)
		stdin = mailInput(m.Body)
	default:
		return fmt.Errorf("mail mode %q is not sendmail or mail", s.cfg.Mode)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.cfg.Path, append(slices.Clip(s.cfg.Args), args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out := &limitedBuffer{max: maxOutput}
	cmd.Stdout, cmd.Stderr = out, out
	// A killed program may leave children holding its output pipe open;
	// do not wait for them longer than this.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && err != nil {
		return fmt.Errorf("%s: killed after %v: %w", s.cfg.Path, s.cfg.Timeout, err)
	}
	if err != nil {
		msg := strings.TrimSpace(out.String())
		if msg != "" {
			return fmt.Errorf("%s: %w: %q", s.cfg.Path, err, msg)
		}
		return fmt.Errorf("%s: %w", s.cfg.Path, err)
	}
	return nil
}

// sendmailInput is a complete message for sendmail -t: headers, a blank
// line, the body as quoted-printable. The subject is RFC 2047-encoded
// when it is not ASCII; it has no control characters (check).
func sendmailInput(m *Message) []byte {
	var b bytes.Buffer
	if m.From != "" {
		b.WriteString("From: " + m.From + "\n")
	}
	b.WriteString("To: " + strings.Join(m.To, ", ") + "\n")
	b.WriteString("Subject: " + mime.QEncoding.Encode("utf-8", m.Subject) + "\n")
	b.WriteString("MIME-Version: 1.0\n")
	b.WriteString("Content-Type: text/plain; charset=UTF-8\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\n")
	b.WriteString("\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write(m.Body)
	qp.Close()
	// quotedprintable writes CRLF line ends; a local submission uses LF.
	return bytes.ReplaceAll(b.Bytes(), []byte("\r\n"), []byte("\n"))
}

// mailInput is the body for mail(1). BSD mail and some mailx versions act
// on "~" escapes in their input (~! runs a shell command, ~t adds a
// recipient) and some end the input at a line holding only "."; such
// lines get a leading blank.
func mailInput(body []byte) []byte {
	lines := bytes.SplitAfter(body, []byte("\n"))
	var b bytes.Buffer
	b.Grow(len(body) + 16)
	for _, l := range lines {
		if bytes.HasPrefix(l, []byte("~")) || bytes.Equal(bytes.TrimRight(l, "\r\n"), []byte(".")) {
			b.WriteByte(' ')
		}
		b.Write(l)
	}
	return b.Bytes()
}

// limitedBuffer keeps the first max bytes written to it and discards the
// rest, so a chatty program cannot grow memory.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return l.buf.String() }
