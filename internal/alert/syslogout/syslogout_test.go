package syslogout

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

const scanLine = "scan detected (Nmap -sT or -sS scan): 192.168.10.55 -> 192.168.10.1 tcp: [1000-1500] flags: SYN tcp pkts: 1002 DL: 3 total scan dsts: 1"

// stamp is time.Stamp as a pattern.
const stamp = `[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d`

func readDatagram(t *testing.T, c net.PacketConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65536)
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func listenUnixgram(t *testing.T, path string) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestUnixgram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	srv := listenUnixgram(t, path)
	w, err := New(Config{Network: "unixgram", Addr: path})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Send(scanLine); err != nil {
		t.Fatal(err)
	}
	// local7.info = 23*8+6 = 190; no PID and no host name, as syslog(3).
	want := regexp.MustCompile(`^<190>` + stamp + ` psad: ` + regexp.QuoteMeta(scanLine) + `$`)
	if got := readDatagram(t, srv); !want.MatchString(got) {
		t.Errorf("got %q, want %v", got, want)
	}
}

func TestUDP(t *testing.T) {
	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	w, err := New(Config{Identity: "psad-test", Facility: "LOG_LOCAL0", Priority: "LOG_WARNING",
		Network: "udp", Addr: srv.LocalAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Send("line one\nline two\x1b[2J"); err != nil {
		t.Fatal(err)
	}
	// local0.warning = 16*8+4 = 132; a remote collector gets the host name.
	want := regexp.MustCompile(`^<132>` + stamp + ` \S+ psad-test: line one\\nline two\\x1b\[2J$`)
	if got := readDatagram(t, srv); !want.MatchString(got) {
		t.Errorf("got %q, want %v", got, want)
	}
}

func TestTCPFraming(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan string, 2)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			got <- sc.Text()
		}
	}()
	w, err := New(Config{Network: "tcp", Addr: l.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, m := range []string{"one", "two"} {
		if err := w.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []string{"one", "two"} {
		select {
		case l := <-got:
			if !regexp.MustCompile(`^<190>` + stamp + ` \S+ psad: ` + m + `$`).MatchString(l) {
				t.Errorf("got %q", l)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no message")
		}
	}
}

// TestReconnect restarts the "syslog daemon" between two messages.
func TestReconnect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	srv := listenUnixgram(t, path)
	w, err := New(Config{Network: "unixgram", Addr: path})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Send("before"); err != nil {
		t.Fatal(err)
	}
	readDatagram(t, srv)
	srv.Close()
	os.Remove(path) // a datagram socket's file outlives it
	srv = listenUnixgram(t, path)
	if err := w.Send("after"); err != nil {
		t.Fatal(err)
	}
	if got := readDatagram(t, srv); !regexp.MustCompile(` psad: after$`).MatchString(got) {
		t.Errorf("got %q", got)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Facility: "LOG_LOCAL9", Network: "udp", Addr: "127.0.0.1:9"},
		{Priority: "LOG_LOUD", Network: "udp", Addr: "127.0.0.1:9"},
		{Identity: "psad: forged", Network: "udp", Addr: "127.0.0.1:9"},
		{Network: "unixgram", Addr: filepath.Join(t.TempDir(), "missing")},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		fac, sev string
		want     int
	}{
		{"", "", 190},
		{"LOG_LOCAL7", "LOG_INFO", 190},
		{"local0", "crit", 130},
		{"log_local5", "LOG_DEBUG", 175},
		{"LOG_DAEMON", "LOG_ERR", 27},
	}
	for _, tt := range tests {
		f, err := Facility(tt.fac)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Severity(tt.sev)
		if err != nil {
			t.Fatal(err)
		}
		if int(f|s) != tt.want {
			t.Errorf("%q %q = %d, want %d", tt.fac, tt.sev, f|s, tt.want)
		}
	}
}
