package mail

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"github.com/psadgo/psad/internal/alert/mail/mailtest"
	"io"
	"math/big"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the test server saw it.
type received struct {
	from   string
	to     []string
	data   []byte
	tls    bool
	authed string
}

// backend is an in-process SMTP server's store. With user set it
// requires AUTH PLAIN before MAIL.
type backend struct {
	user, pass string
	mu         sync.Mutex
	msgs       []received
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{b: b, c: c}, nil
}

func (b *backend) got() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

type session struct {
	b      *backend
	c      *smtp.Conn
	authed string
	cur    received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.b.user || pass != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && s.authed == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	d, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = d
	_, s.cur.tls = s.c.TLSConnectionState()
	s.cur.authed = s.authed
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// startServer runs an SMTP server on 127.0.0.1:0, offering STARTTLS when
// withTLS is set, and returns its backend and port.
func startServer(t *testing.T, be *backend, withTLS bool) int {
	t.Helper()
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // PLAIN without TLS, to localhost only (go-mail's rule)
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	if withTLS {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

const alertBody = "=-=-=-=-=-=-=-=-=-=-=-= Sat Nov 21 19:18:20 2026 =-=-=-=-=-=-=-=-=-=-=-=\n\n\n" +
	"         Danger level: [3] (out of 5)\n\n" +
	"               Source: 192.168.10.55\n" +
	"                  DNS: h\u00f6st.example\n" +
	"a line = with an equals sign and trailing blanks   \n"

func TestSMTP(t *testing.T) {
	tests := []struct {
		name       string
		tls        bool
		starttls   string
		user, pass string
		wantTLS    bool
	}{
		{"plain", false, "no", "", "", false},
		{"opportunistic without STARTTLS", false, "opportunistic", "", "", false},
		{"STARTTLS", true, "mandatory", "", "", true},
		{"STARTTLS and AUTH PLAIN", true, "mandatory", "psad", "s3cret", true},
		{"AUTH PLAIN to localhost", false, "no", "psad", "s3cret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := &backend{user: tt.user, pass: tt.pass}
			port := startServer(t, be, tt.tls)
			s := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: port, StartTLS: tt.starttls,
				Username: tt.user, Password: tt.pass, Timeout: 5 * time.Second,
				HeloName: "fw.example", TLSSkipVerify: true})
			m := &Message{From: "psad@fw.example", To: []string{"root@localhost", "sec@example.com"},
				Subject: "[psad-alert] DL3 src: 192.168.10.55 dst: 192.168.10.1", Body: []byte(alertBody)}
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := be.got()
			if len(got) != 1 {
				t.Fatalf("%d messages", len(got))
			}
			r := got[0]
			if r.from != m.From || strings.Join(r.to, ",") != "root@localhost,sec@example.com" {
				t.Errorf("envelope %q -> %q", r.from, r.to)
			}
			if r.tls != tt.wantTLS {
				t.Errorf("tls %v, want %v", r.tls, tt.wantTLS)
			}
			if r.authed != tt.user {
				t.Errorf("authenticated as %q, want %q", r.authed, tt.user)
			}
			checkMessage(t, r.data, m)
		})
	}
}

// checkMessage parses what the server received and compares headers and
// the decoded body with m.
func checkMessage(t *testing.T, data []byte, m *Message) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%v in\n%s", err, data)
	}
	want := map[string]string{
		"From":                      "<" + m.From + ">",
		"To":                        "<" + strings.Join(m.To, ">, <") + ">",
		"Subject":                   m.Subject,
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=UTF-8",
		"Content-Transfer-Encoding": "quoted-printable",
	}
	for k, v := range want {
		if got := msg.Header.Get(k); got != v {
			t.Errorf("header %s: %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"Date", "Message-Id"} {
		if msg.Header.Get(k) == "" {
			t.Errorf("no %s header", k)
		}
	}
	for _, k := range []string{"Bcc", "Cc"} {
		if v, ok := msg.Header[k]; ok {
			t.Errorf("unexpected %s: %q", k, v)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	if !bytes.Equal(body, m.Body) {
		t.Errorf("body\n%q\nwant\n%q", body, m.Body)
	}
}

func TestSMTPRefusesUnsafe(t *testing.T) {
	be := &backend{}
	port := startServer(t, be, false)
	s := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: port, StartTLS: "no", Timeout: 5 * time.Second})
	for _, m := range []*Message{
		{From: "psad@fw", To: []string{"root@localhost"}, Subject: "x\r\nBcc: evil@example.com"},
		{From: "psad@fw", To: []string{"root@localhost"}, Subject: "x\nBcc: evil@example.com"},
		{From: "psad@fw", To: []string{"root@localhost"}, Subject: "x\x1b[2J"},
		{From: "psad@fw", To: []string{"root@localhost\r\nBcc: evil@example.com"}, Subject: "x"},
		{From: "psad@fw\nBcc: evil@example.com", To: []string{"root@localhost"}, Subject: "x"},
		{From: "psad@fw", To: []string{"root@localhost"}, Subject: strings.Repeat("x", 600)},
	} {
		if err := s.Send(context.Background(), m); !errors.Is(err, ErrUnsafe) {
			t.Errorf("%q: error %v, want ErrUnsafe", m.Subject, err)
		}
	}
	if got := be.got(); len(got) != 0 {
		t.Errorf("server received %d messages", len(got))
	}
}

func TestSMTPMandatoryTLS(t *testing.T) {
	be := &backend{}
	port := startServer(t, be, false)
	s := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: port, StartTLS: "mandatory", Timeout: 5 * time.Second})
	m := &Message{From: "psad@fw", To: []string{"root@localhost"}, Subject: "x", Body: []byte("x\n")}
	if err := s.Send(context.Background(), m); err == nil {
		t.Error("sent without STARTTLS although it is mandatory")
	}
	if err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: port, StartTLS: "maybe"}).Send(context.Background(), m); err == nil {
		t.Error("accepted StartTLS \"maybe\"")
	}
}

// TestSMTPSilentServerHonoursContext: a server that accepts the
// connection and never sends its greeting must not hold Send past ctx.
func TestSMTPSilentServerHonoursContext(t *testing.T) {
	port := mailtest.Silent(t)
	s := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: port, StartTLS: "no", Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, &Message{From: "psad@fw", To: []string{"root@fw"}, Subject: "x", Body: []byte("y\n")})
	if err == nil {
		t.Fatal("Send to a silent server succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v after a 200ms context", d)
	}
}
