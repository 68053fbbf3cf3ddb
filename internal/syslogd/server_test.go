package syslogd

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

// testNow and testLoc make RFC 3164 stamps (no year, no zone) and
// receive-time stamps deterministic.
var (
	testNow = time.Date(2026, 3, 12, 10, 0, 0, 0, time.UTC)
	testLoc = time.FixedZone("test", 2*3600)
)

const (
	logText = "DROP IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=192.0.2.7 DST=198.51.100.1 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT=51000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0"
	// receivedAt is testNow as delivered for messages without a timestamp.
	receivedAt = "2026-03-12T12:00:00.000000+02:00"
)

type testServer struct {
	*Server
	lines  chan string
	cancel context.CancelFunc
	served chan error
}

// start listens on 127.0.0.1:0 for every transport and serves until the
// test ends.
func start(t *testing.T, mod func(*Config)) *testServer {
	t.Helper()
	c := Config{
		UDP:       "127.0.0.1:0",
		TCP:       "127.0.0.1:0",
		TLS:       "127.0.0.1:0",
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{testCert(t)}},
		Logf:      t.Logf,
	}
	if mod != nil {
		mod(&c)
	}
	s, err := Listen(c)
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return testNow }
	s.loc = testLoc
	ts := &testServer{Server: s, lines: make(chan string, 100), served: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	go func() {
		ts.served <- s.Serve(ctx, func(line []byte) { ts.lines <- string(line) })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ts.served:
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return ts
}

// next returns the next delivered line.
func (ts *testServer) next(t *testing.T) string {
	t.Helper()
	select {
	case l := <-ts.lines:
		return l
	case <-time.After(5 * time.Second):
		t.Fatal("no line delivered")
		return ""
	}
}

// expect checks the next lines.
func (ts *testServer) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		if got := ts.next(t); got != w {
			t.Errorf("line:\n got %q\nwant %q", got, w)
		}
	}
}

// waitStats waits until the counters equal want.
func (ts *testServer) waitStats(t *testing.T, want Stats) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := ts.Stats()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Stats() = %+v, want %+v", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (ts *testServer) dial(t *testing.T, network string) net.Conn {
	t.Helper()
	udp, tcp, tlsAddr := ts.Addrs()
	var (
		c   net.Conn
		err error
	)
	switch network {
	case "udp":
		c, err = net.Dial("udp", udp.String())
	case "tcp":
		c, err = net.Dial("tcp", tcp.String())
	case "tls":
		c, err = tls.Dial("tcp", tlsAddr.String(), &tls.Config{InsecureSkipVerify: true})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c net.Conn, data string) {
	t.Helper()
	if _, err := io.WriteString(c, data); err != nil {
		t.Fatal(err)
	}
}

// octets frames msgs with octet counting (RFC 6587 3.4.1).
func octets(msgs ...string) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "%d %s", len(m), m)
	}
	return b.String()
}

// The messages each transport must deliver, with the exact line.
var kernelMessages = []struct {
	name, msg, line string
}{
	{
		"rfc3164",
		"<4>Mar 11 20:35:11 fw1 kernel: [463490.251762] " + logText,
		"2026-03-11T20:35:11.000000+02:00 fw1 kernel: [463490.251762] " + logText,
	},
	{
		"rfc3164 single-digit day",
		"<4>Mar  1 20:35:11 fw2 kernel: " + logText,
		"2026-03-01T20:35:11.000000+02:00 fw2 kernel: " + logText,
	},
	{
		"rfc3164 last year", // more than a day after testNow
		"<4>Dec 31 23:59:59 fw3 kernel: " + logText,
		"2025-12-31T23:59:59.000000+02:00 fw3 kernel: " + logText,
	},
	{
		"rfc3164 no host", // as sent by a local syslog(3) to a relay
		"<4>Mar 11 20:35:11 kernel: " + logText,
		"2026-03-11T20:35:11.000000+02:00 127.0.0.1 kernel: " + logText,
	},
	{
		"rfc3164 rfc3339 stamp",
		"<4>2015-03-07T05:09:30+01:00 fw4 kernel: " + logText,
		"2015-03-07T05:09:30.000000+01:00 fw4 kernel: " + logText,
	},
	{
		"rfc5424",
		"<4>1 2015-03-07T05:09:30.045015+02:00 fw5 kernel - - - " + logText,
		"2015-03-07T05:09:30.045015+02:00 fw5 kernel: " + logText,
	},
	{
		"rfc5424 BOM and structured data",
		"<4>1 2015-03-07T03:09:30.5Z fw6 kernel - - [meta@32473 x=\"y\"] \xef\xbb\xbf" + logText,
		"2015-03-07T03:09:30.500000+00:00 fw6 kernel: " + logText,
	},
	{
		"rfc5424 no timestamp no host",
		"<4>1 - - kernel - - - " + logText,
		receivedAt + " 127.0.0.1 kernel: " + logText,
	},
}

// rsyslog's forwarding format: an RFC 3164 header with a fractional RFC
// 3339 stamp, which this package reads itself (go-syslog's RFC 3164
// machine does not).
var forwardFormat = struct{ msg, line string }{
	"<4>2015-03-07T05:09:30.045015+02:00 fw7 kernel: " + logText,
	"2015-03-07T05:09:30.045015+02:00 fw7 kernel: " + logText,
}

func TestUDP(t *testing.T) {
	ts := start(t, nil)
	c := ts.dial(t, "udp")
	for _, m := range kernelMessages {
		t.Run(m.name, func(t *testing.T) {
			send(t, c, m.msg)
			ts.expect(t, m.line)
		})
	}
	send(t, c, forwardFormat.msg+"\n") // trailing newline, as netcat sends
	ts.expect(t, forwardFormat.line)
	ts.waitStats(t, Stats{Accepted: uint64(len(kernelMessages) + 1)})
}

func TestTCPOctetCounted(t *testing.T) {
	for _, network := range []string{"tcp", "tls"} {
		t.Run(network, func(t *testing.T) {
			ts := start(t, nil)
			c := ts.dial(t, network)
			var msgs, want []string
			for _, m := range kernelMessages {
				msgs = append(msgs, m.msg)
				want = append(want, m.line)
			}
			// A newline after a frame is tolerated (some senders add
			// one); one inside an octet-counted message is blanked.
			send(t, c, octets(msgs[:3]...)+"\n"+octets(msgs[3:]...))
			send(t, c, octets("<4>1 - fw8 kernel - - - "+logText+"\nSRC=6.6.6.6 forged line"))
			want = append(want, receivedAt+" fw8 kernel: "+logText+" SRC=6.6.6.6 forged line")
			// rsyslog's RSYSLOG_ForwardFormat, which go-syslog's own
			// octet-counting parser could not read.
			send(t, c, octets(forwardFormat.msg))
			want = append(want, forwardFormat.line)
			ts.expect(t, want...)
			c.Close() // a clean end of stream is not malformed
			ts.waitStats(t, Stats{Accepted: uint64(len(want)), Connections: 1, Ended: 1})
		})
	}
}

func TestTCPNewlineFramed(t *testing.T) {
	for _, network := range []string{"tcp", "tls"} {
		t.Run(network, func(t *testing.T) {
			ts := start(t, nil)
			c := ts.dial(t, network)
			var b strings.Builder
			var want []string
			for i, m := range kernelMessages {
				eol := "\n"
				if i%2 == 1 {
					eol = "\r\n\n" // CRLF and an empty line
				}
				b.WriteString(m.msg + eol)
				want = append(want, m.line)
			}
			b.WriteString(forwardFormat.msg) // last line without LF
			want = append(want, forwardFormat.line)
			send(t, c, b.String())
			c.Close()
			ts.expect(t, want...)
			ts.waitStats(t, Stats{Accepted: uint64(len(want)), Connections: 1, Ended: 1})
		})
	}
}

// Messages from other programs, such as a user forging a LOG line with
// logger(1), are counted and dropped; kernel messages around them pass.
func TestRejectsOtherTags(t *testing.T) {
	ts := start(t, nil)
	forged := []string{
		"<13>Mar 11 20:35:11 fw1 logger: " + logText,
		"<13>Mar 11 20:35:11 fw1 alice: " + logText,
		"<38>Mar 11 20:35:11 fw1 sshd[123]: " + logText,
		"<13>Mar 11 20:35:11 fw1 " + logText, // no tag
		"<13>1 2015-03-07T05:09:30Z fw1 logger - - - " + logText,
		"<38>1 2015-03-07T05:09:30Z fw1 sshd 123 - - " + logText,
		"<4>1 2015-03-07T05:09:30Z fw1 - - - - " + logText, // nil APP-NAME
	}
	good := kernelMessages[0]

	u := ts.dial(t, "udp")
	for _, f := range forged {
		send(t, u, f)
	}
	send(t, u, good.msg)
	ts.expect(t, good.line)

	c := ts.dial(t, "tcp")
	send(t, c, octets(append(forged, good.msg)...))
	ts.expect(t, good.line)

	l := ts.dial(t, "tls")
	send(t, l, strings.Join(append(forged, good.msg), "\n")+"\n")
	ts.expect(t, good.line)

	n := uint64(len(forged))
	ts.waitStats(t, Stats{Accepted: 3, Rejected: 3 * n, Connections: 2})
}

func TestKernelTags(t *testing.T) {
	ts := start(t, func(c *Config) { c.KernelTags = []string{"kern", "fw"} })
	u := ts.dial(t, "udp")
	send(t, u, "<4>Mar 11 20:35:11 fw1 kernel: "+logText)
	send(t, u, "<4>Mar 11 20:35:11 fw1 fw: "+logText)
	ts.expect(t, "2026-03-11T20:35:11.000000+02:00 fw1 kernel: "+logText)
	ts.waitStats(t, Stats{Accepted: 1, Rejected: 1})
}

// Garbage is counted, closes the TCP connection that sent it, and does not
// stop the listeners.
func TestGarbage(t *testing.T) {
	const max = 512
	ts := start(t, func(c *Config) { c.MaxMessage = max })
	good := kernelMessages[0]
	junk := make([]byte, 300)
	rand.Read(junk)
	junk[0] = 'x' // not '<': garbage for either format

	u := ts.dial(t, "udp")
	for _, d := range []string{
		string(junk),
		"",
		"<4>",
		"<999>Mar 11 20:35:11 fw1 kernel: x",
		"<4>Mar 11 20:35:11 fw1 kernel: " + strings.Repeat("A", max), // too long
	} {
		send(t, u, d)
	}
	send(t, u, good.msg)
	ts.expect(t, good.line)
	ts.waitStats(t, Stats{Accepted: 1, Malformed: 5})

	streams := []struct{ name, network, data string }{
		{"junk", "tcp", string(junk)},
		{"octet count then junk", "tcp", "12 garbagegarbage"},
		{"octet count zero", "tcp", "0 <4>"},
		{"octet count too large", "tcp", octets("<4>1 - fw1 kernel - - - " + strings.Repeat("A", max))},
		{"octet message not syslog", "tcp", octets("<4>junk")},
		{"line not syslog", "tcp", "<4>junk junk\n" + good.msg + "\n"},
		{"line too long", "tcp", "<4>Mar 11 20:35:11 fw1 kernel: " + strings.Repeat("A", 2*max) + "\n" + good.msg + "\n"},
		{"junk over TLS", "tls", string(junk)},
		{"plain text on the TLS port", "tcp-to-tls", good.msg + "\n"},
	}
	accepted, malformed, conns := uint64(1), uint64(5), uint64(0)
	for _, st := range streams {
		t.Run(st.name, func(t *testing.T) {
			var c net.Conn
			if st.network == "tcp-to-tls" {
				_, _, tlsAddr := ts.Addrs()
				var err error
				if c, err = net.Dial("tcp", tlsAddr.String()); err != nil {
					t.Fatal(err)
				}
				defer c.Close()
			} else {
				c = ts.dial(t, st.network)
			}
			send(t, c, st.data)
			// The server closes the connection (for a TLS client the
			// alert or EOF surfaces as a read error too).
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := io.Copy(io.Discard, c)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("server did not close the connection")
			}
			malformed++
			conns++
			ts.waitStats(t, Stats{Accepted: accepted, Malformed: malformed, Connections: conns, Ended: conns})

			// A new connection still works.
			g := ts.dial(t, "tcp")
			send(t, g, good.msg+"\n")
			ts.expect(t, good.line)
			g.Close()
			accepted++
			conns++
			ts.waitStats(t, Stats{Accepted: accepted, Malformed: malformed, Connections: conns, Ended: conns})
		})
	}
	select {
	case l := <-ts.lines:
		t.Errorf("unexpected line %q", l)
	default:
	}
}

func TestShutdown(t *testing.T) {
	ts := start(t, nil)
	udpAddr, tcpAddr, tlsAddr := ts.Addrs()
	idle := ts.dial(t, "tcp")
	send(t, idle, "<4>") // a connection in the middle of a message
	ts.waitStats(t, Stats{Connections: 1})

	ts.cancel()
	select {
	case err := <-ts.served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	ts.served <- nil // for the cleanup

	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil {
		t.Error("open connection not closed")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("open connection not closed")
	}
	// The ports are free again.
	for _, a := range []net.Addr{tcpAddr, tlsAddr} {
		l, err := net.Listen("tcp", a.String())
		if err != nil {
			t.Errorf("TCP socket not closed: %v", err)
			continue
		}
		l.Close()
	}
	pc, err := net.ListenPacket("udp", udpAddr.String())
	if err != nil {
		t.Errorf("UDP socket not closed: %v", err)
	} else {
		pc.Close()
	}
	if err := ts.Serve(context.Background(), func([]byte) {}); err == nil {
		t.Error("Serve after shutdown succeeded")
	}
	if s := ts.Stats(); s.Malformed != 0 {
		t.Errorf("shutdown counted as malformed: %+v", s)
	}
}

func TestListenErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"nothing", Config{}, "syslogd: no listen address"},
		{"TLS without config", Config{TLS: "127.0.0.1:0"}, `syslogd: TLS address "127.0.0.1:0" without a TLS configuration`},
		{"negative size", Config{UDP: "127.0.0.1:0", MaxMessage: -1}, "syslogd: negative maximum message size -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Listen(tc.c)
			if err == nil {
				s.Close()
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
	// A port already in use: the sockets bound before it are released.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if s, err := Listen(Config{TCP: "127.0.0.1:0", TLS: busy.Addr().String(), TLSConfig: &tls.Config{}}); err == nil {
		s.Close()
		t.Fatal("listening on a busy port succeeded")
	}
}

// The delivered lines are what psad's parser (internal/fwlog) reads: it
// finds the timestamp, the host and the packet.
func TestLinesParseAsFirewallLog(t *testing.T) {
	ts := start(t, nil)
	u := ts.dial(t, "udp")
	ps := fwlog.NewParser(fwlog.Options{StripKernelTS: true})
	for _, m := range append(kernelMessages, struct{ name, msg, line string }{"forward", forwardFormat.msg, forwardFormat.line}) {
		t.Run(m.name, func(t *testing.T) {
			send(t, u, m.msg)
			line := ts.next(t)
			var p fwlog.Packet
			if err := ps.Parse([]byte(line), &p); err != nil {
				t.Fatalf("fwlog.Parse(%q): %v", line, err)
			}
			stamp, host, _ := strings.Cut(line, " ")
			host, _, _ = strings.Cut(host, " ")
			if string(p.Timestamp) != stamp || string(p.Host) != host {
				t.Errorf("fwlog read timestamp %q host %q from %q", p.Timestamp, p.Host, line)
			}
			if p.Src.String() != "192.0.2.7" || p.DstPort != 22 || !p.Flags.Has(fwlog.FlagSYN) || !bytes.Equal(p.Prefix, []byte("DROP")) {
				t.Errorf("fwlog read %+v from %q", p, line)
			}
		})
	}
}

// testCert returns a self-signed certificate for 127.0.0.1.
func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "psad syslogd test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestUDPDropsCounted holds the UDP reader in its sink while a flood
// overfills the socket buffer, then sends numbered markers until one
// arrives: every datagram sent before it must have been delivered or
// counted in Stats.Dropped, so that a loss is never silent.
func TestUDPDropsCounted(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux reports dropped datagrams (SO_RXQ_OVFL)")
	}
	var setupErr atomic.Value // the drop counter's setup error, logged by Listen
	logf := func(f string, args ...any) {
		line := fmt.Sprintf(f, args...)
		if strings.Contains(line, "SO_RXQ_OVFL") {
			setupErr.Store(line)
		}
		t.Log(line)
	}
	s, err := Listen(Config{UDP: "127.0.0.1:0", Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	if e := setupErr.Load(); e != nil {
		// An old kernel, or qemu-user running a test of another
		// architecture: nothing counts drops, and the daemon says so.
		s.Close()
		t.Skipf("this kernel does not count dropped datagrams: %s", e)
	}
	release := make(chan struct{})
	// The first marker to arrive, and the drop count the kernel gave with
	// it: the reader keeps reading after it, and later markers may be
	// dropped too.
	type arrival struct {
		n       int
		dropped uint64
	}
	marker := make(chan arrival, 1)
	var hold sync.Once
	var flood atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- s.Serve(ctx, func(line []byte) {
			hold.Do(func() { <-release })
			if _, m, ok := strings.Cut(string(line), "kernel: MARK "); ok {
				n, _ := strconv.Atoi(m)
				select {
				case marker <- arrival{n, s.Stats().Dropped}:
				default:
				}
				return
			}
			flood.Add(1)
		})
	}()
	defer func() { cancel(); <-served }()
	udp, _, _ := s.Addrs()
	c, err := net.Dial("udp", udp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 100000
	msg := []byte("<4>Mar  1 20:35:11 fw kernel: " + logText)
	for range n {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	var first arrival
	for k := 1; first.n == 0; k++ {
		if k > 1000 {
			t.Fatal("no marker arrived")
		}
		if _, err := fmt.Fprintf(c, "<4>Mar  1 20:35:11 fw kernel: MARK %d", k); err != nil {
			t.Fatal(err)
		}
		select {
		case first = <-marker:
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Logf("%d sent, %d delivered, %d dropped by the kernel, first marker to arrive: %d", n, flood.Load(), first.dropped, first.n)
	if first.dropped == 0 {
		t.Fatal("no datagram dropped: the flood did not fill the socket buffer")
	}
	if got, want := uint64(flood.Load())+first.dropped, uint64(n+first.n-1); got != want {
		t.Errorf("delivered + dropped = %d, want %d (the flood and the markers before the first to arrive)", got, want)
	}
}

// TestUDPIPv6: a listener on an IPv6 address reads its datagrams in
// batches too, and names an IPv6 sender without a host name by its
// address.
func TestUDPIPv6(t *testing.T) {
	ts := start(t, func(c *Config) { c.UDP, c.TCP, c.TLS = "[::1]:0", "", "" })
	udp, _, _ := ts.Addrs()
	c, err := net.Dial("udp", udp.String())
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer c.Close()
	send(t, c, "<4>Mar  1 20:35:11 fw6 kernel: "+logText)
	send(t, c, "<4>1 - - kernel - - - "+logText)
	if l := ts.next(t); !strings.Contains(l, " fw6 kernel: "+logText) {
		t.Errorf("line %q, want host fw6", l)
	}
	if l := ts.next(t); !strings.Contains(l, " ::1 kernel: "+logText) {
		t.Errorf("line %q, want the sender's address ::1 as host", l)
	}
}

// BenchmarkUDPDrain measures how fast the UDP reader takes in datagrams
// that are already waiting: 20,000 kernel messages are sent while the
// reader is held, then timed from its release until the last is
// delivered (the socket buffer holds them all; none may be dropped).
func BenchmarkUDPDrain(b *testing.B) {
	const n = 20000
	msg := []byte("<4>Mar  1 20:35:11 fw kernel: " + logText)
	var total time.Duration
	for range b.N {
		s, err := Listen(Config{UDP: "127.0.0.1:0"})
		if err != nil {
			b.Fatal(err)
		}
		release := make(chan struct{})
		done := make(chan time.Duration, 1)
		var hold sync.Once
		var start time.Time
		got := 0
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() {
			served <- s.Serve(ctx, func([]byte) {
				hold.Do(func() { <-release; start = time.Now() })
				if got++; got == n {
					done <- time.Since(start)
				}
			})
		}()
		udp, _, _ := s.Addrs()
		c, err := net.Dial("udp", udp.String())
		if err != nil {
			b.Fatal(err)
		}
		for range n {
			c.Write(msg)
		}
		close(release)
		select {
		case d := <-done:
			total += d
		case <-time.After(10 * time.Second):
			b.Fatalf("%d of %d delivered, %d dropped", got, n, s.Stats().Dropped)
		}
		c.Close()
		cancel()
		<-served
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "datagrams/s")
	b.ReportMetric(0, "ns/op")
}
