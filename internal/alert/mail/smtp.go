package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPConfig is how to reach an SMTP server.
type SMTPConfig struct {
	Host string
	Port int // 0 means 25
	// StartTLS is "no", "opportunistic" (use STARTTLS when offered) or
	// "mandatory" (refuse to send without it); "" means "mandatory"
	// when a Username is set, else "opportunistic".
	StartTLS string
	// Username and Password enable SMTP AUTH PLAIN. go-mail sends them
	// only over TLS or to localhost.
	Username, Password string
	Timeout            time.Duration // per connection; 0 means 30s
	HeloName           string        // "" lets go-mail use the host name
	// TLSSkipVerify turns certificate checks off; for tests only.
	TLSSkipVerify bool
}

// LogValue keeps the password out of logs.
func (c SMTPConfig) LogValue() slog.Value {
	pw := ""
	if c.Password != "" {
		pw = "REDACTED"
	}
	return slog.GroupValue(
		slog.String("host", c.Host), slog.Int("port", c.Port),
		slog.String("starttls", c.StartTLS), slog.String("username", c.Username),
		slog.String("password", pw),
	)
}

// SMTPSender sends each message over a new SMTP connection: alerts are
// rare and a kept-open connection would need its own failure handling.
type SMTPSender struct {
	cfg SMTPConfig
}

// NewSMTP returns a sender for c. Configuration errors (an unknown
// StartTLS value) are reported by Send, so a daemon can start and say so
// with the first alert.
func NewSMTP(c SMTPConfig) *SMTPSender {
	if c.Port == 0 {
		c.Port = 25
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	return &SMTPSender{cfg: c}
}

func (s *SMTPSender) tlsPolicy() (gomail.TLSPolicy, error) {
	switch strings.ToLower(s.cfg.StartTLS) {
	case "no":
		return gomail.NoTLS, nil
	case "opportunistic":
		return gomail.TLSOpportunistic, nil
	case "mandatory":
		return gomail.TLSMandatory, nil
	case "":
		if s.cfg.Username != "" {
			return gomail.TLSMandatory, nil
		}
		return gomail.TLSOpportunistic, nil
	}
	return 0, fmt.Errorf("smtp: StartTLS %q is not no, opportunistic or mandatory", s.cfg.StartTLS)
}

// Send validates m (see [CheckSubject], [CheckAddress]; From is required
// for the SMTP envelope) and delivers it as text/plain UTF-8,
// quoted-printable, which keeps long alert lines within SMTP's line
// limit and passes 8-bit text through any server.
func (s *SMTPSender) Send(ctx context.Context, m *Message) error {
	if m.From == "" {
		return errors.New("smtp: message has no From address")
	}
	if err := check(m); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	pol, err := s.tlsPolicy()
	if err != nil {
		return err
	}
	msg := gomail.NewMsg(gomail.WithEncoding(gomail.EncodingQP), gomail.WithCharset(gomail.CharsetUTF8))
	if err := msg.From(m.From); err != nil {
		return fmt.Errorf("smtp: from %q: %w", m.From, err)
	}
	if err := msg.To(m.To...); err != nil {
		return fmt.Errorf("smtp: to %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetUserAgent("psad")
	msg.SetBodyString(gomail.TypeTextPlain, string(m.Body))

	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSPolicy(pol),
		gomail.WithTLSConfig(&tls.Config{
			ServerName:         s.cfg.Host,
			InsecureSkipVerify: s.cfg.TLSSkipVerify, //nolint:gosec // test servers only, documented
			MinVersion:         tls.VersionTLS12,
		}),
	}
	// go-mail uses ctx only to dial; once connected it waits up to
	// Timeout on every reply. A server that accepts and then says nothing
	// would hold a daemon's shutdown that long, so the connection is
	// closed the moment ctx is done.
	var mu sync.Mutex
	var stops []func() bool
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, stop := range stops {
			stop()
		}
	}()
	opts = append(opts, gomail.WithDialContextFunc(func(dctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		stops = append(stops, context.AfterFunc(ctx, func() { conn.Close() }))
		mu.Unlock()
		return conn, nil
	}))
	if s.cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HeloName))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("smtp: sending to %s:%d: %w (%w)", s.cfg.Host, s.cfg.Port, context.Cause(ctx), err)
		}
		return fmt.Errorf("smtp: sending to %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	return nil
}
