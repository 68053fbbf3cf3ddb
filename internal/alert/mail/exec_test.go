package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Environment of the fake mail program (the helper-process pattern of
// os/exec's tests): when fakeOut is set, the test binary records its
// arguments and standard input there instead of running tests.
const (
	fakeOut   = "PSAD_TEST_FAKE_MAIL_OUT"
	fakeSleep = "PSAD_TEST_FAKE_MAIL_SLEEP"
	fakeFail  = "PSAD_TEST_FAKE_MAIL_FAIL"
)

func TestMain(m *testing.M) {
	if out := os.Getenv(fakeOut); out != "" {
		os.Exit(fakeMail(out))
	}
	os.Exit(m.Run())
}

// fakeRun is what the fake mail program recorded.
type fakeRun struct {
	Args  []string
	Stdin string
}

func fakeMail(out string) int {
	stdin, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if d, err := time.ParseDuration(os.Getenv(fakeSleep)); err == nil {
		time.Sleep(d)
	}
	b, _ := json.Marshal(fakeRun{Args: os.Args[1:], Stdin: string(stdin)})
	if err := os.WriteFile(out, b, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if msg := os.Getenv(fakeFail); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
		return 1
	}
	return 0
}

// fake returns a sender running this test binary as the mail program and
// the file where it records its run.
func fake(t *testing.T, mode string, timeout time.Duration) (*ExecSender, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run.json")
	t.Setenv(fakeOut, out)
	// Under -race a Go program sleeps 1s at exit by default.
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	return NewExec(ExecConfig{Path: exe, Mode: mode, Timeout: timeout}), out
}

func readRun(t *testing.T, path string) fakeRun {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("fake mail program did not run: %v", err)
	}
	var r fakeRun
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestExecMail(t *testing.T) {
	s, out := fake(t, "mail", 10*time.Second)
	// Shell syntax in the subject must arrive as literal text in one
	// argument: no shell ever sees it.
	subject := `[psad-alert] DL3 src: a";rm -rf /;echo "$(id)` + "`id`" + ` dst: 10.0.0.1`
	body := "line one\n~! touch /tmp/pwned\n.\nlast line\n"
	m := &Message{To: []string{"root@localhost", "sec@example.com"}, Subject: subject, Body: []byte(body)}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := readRun(t, out)
	want := []string{"-s", subject, "root@localhost", "sec@example.com"}
	if strings.Join(r.Args, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("argv %q, want %q", r.Args, want)
	}
	if want := "line one\n ~! touch /tmp/pwned\n .\nlast line\n"; r.Stdin != want {
		t.Errorf("stdin %q, want %q", r.Stdin, want)
	}
}

func TestExecSendmail(t *testing.T) {
	s, out := fake(t, "sendmail", 10*time.Second)
	m := &Message{From: "psad@fw.example", To: []string{"root@localhost", "sec@example.com"},
		Subject: "[psad-alert] DL3 src: h\u00f6st dst: 10.0.0.1", Body: []byte("a=b\n.\nend\n")}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := readRun(t, out)
	if strings.Join(r.Args, " ") != "-oi -t" {
		t.Errorf("argv %q", r.Args)
	}
	want := "From: psad@fw.example\n" +
		"To: root@localhost, sec@example.com\n" +
		"Subject: =?utf-8?q?[psad-alert]_DL3_src:_h=C3=B6st_dst:_10.0.0.1?=\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=UTF-8\n" +
		"Content-Transfer-Encoding: quoted-printable\n" +
		"\n" +
		"a=3Db\n.\nend\n"
	if r.Stdin != want {
		t.Errorf("stdin\n%s\nwant\n%s", r.Stdin, want)
	}
}

func TestExecRejects(t *testing.T) {
	s, out := fake(t, "mail", 10*time.Second)
	for _, m := range []*Message{
		{To: []string{"$(touch /tmp/x)@example.com"}, Subject: "x"},
		{To: []string{"`id`@example.com"}, Subject: "x"},
		{To: []string{"-oQ/tmp/x@example.com"}, Subject: "x"},
		{To: []string{"root@-example.com"}, Subject: "x"},
		{To: []string{"root@localhost", "a@b;rm -rf /"}, Subject: "x"},
		{To: []string{"root@localhost"}, Subject: "x\nBcc: evil@example.com"},
		{To: nil, Subject: "x"},
	} {
		if err := s.Send(context.Background(), m); err == nil {
			t.Errorf("%q %q: sent", m.To, m.Subject)
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the mail program ran for a rejected message (%v)", err)
	}
	if err := NewExec(ExecConfig{Path: "mail", Mode: "mail"}).Send(context.Background(),
		&Message{To: []string{"root@localhost"}}); err == nil {
		t.Error("relative program path accepted")
	}
	if err := NewExec(ExecConfig{Path: "/bin/true", Mode: "shell"}).Send(context.Background(),
		&Message{To: []string{"root@localhost"}}); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestExecTimeout(t *testing.T) {
	s, _ := fake(t, "mail", 200*time.Millisecond)
	t.Setenv(fakeSleep, "20s")
	start := time.Now()
	err := s.Send(context.Background(), &Message{To: []string{"root@localhost"}, Subject: "x", Body: []byte("x\n")})
	if err == nil || !strings.Contains(err.Error(), "killed after") {
		t.Errorf("error %v, want a kill after the timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestExecFailure(t *testing.T) {
	s, _ := fake(t, "mail", 10*time.Second)
	t.Setenv(fakeFail, "send-mail: cannot connect")
	err := s.Send(context.Background(), &Message{To: []string{"root@localhost"}, Subject: "x"})
	if err == nil || !strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("error %v, want the program's message", err)
	}
}

func TestParseAddresses(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"root@localhost", []string{"root@localhost"}, true},
		{"a@x, b@y", []string{"a@x", "b@y"}, true},
		{"a@x,b@y", []string{"a@x", "b@y"}, true},
		{" a@x  b@y ,c@z.example ", []string{"a@x", "b@y", "c@z.example"}, true},
		{"first.last+psad@mail.example.com", []string{"first.last+psad@mail.example.com"}, true},
		{"", nil, false},
		{" , ", nil, false},
		{"root", nil, false},
		{"a@x, $(touch /tmp/x)@example.com", nil, false},
		{"-f@x", nil, false},
		{"a@x\nBcc: b@y", nil, false},
		{"a..b@x", nil, false},
		{"\"a b\"@x", nil, false},
	}
	for _, tt := range tests {
		got, err := ParseAddresses(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseAddresses(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && !bytes.Equal([]byte(strings.Join(got, "|")), []byte(strings.Join(tt.want, "|"))) {
			t.Errorf("ParseAddresses(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestExecMailArgs: EMAIL_APPEND_HEADER's arguments come right after the
// program, before -s.
func TestExecMailArgs(t *testing.T) {
	s, out := fake(t, "mail", 10*time.Second)
	s.cfg.Args = []string{"-a", "From: psad <psad@example.com>"}
	m := &Message{To: []string{"root@localhost"}, Subject: "s", Body: []byte("b\n")}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	want := []string{"-a", "From: psad <psad@example.com>", "-s", "s", "root@localhost"}
	if r := readRun(t, out); strings.Join(r.Args, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("argv %q, want %q", r.Args, want)
	}
}
