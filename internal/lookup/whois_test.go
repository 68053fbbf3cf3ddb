package lookup

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testAddr is in 10.0.3.0/24, used only as data: no test sends anything to
// it, every server is on loopback.
var testAddr = netip.MustParseAddr("10.0.3.7")

// whoisServer is an RFC 3912 server on 127.0.0.1:0. It is created
// listening, so its address can go into other servers' answers, and starts
// answering at serve.
type whoisServer struct {
	t       *testing.T
	ln      net.Listener
	addr    string
	stop    chan struct{} // closed at cleanup; handlers that hang wait on it
	wg      sync.WaitGroup
	hits    atomic.Int32 // connections accepted
	active  atomic.Int32 // connections being handled
	peak    atomic.Int32 // most connections handled at once
	mu      sync.Mutex
	queries []string
}

func newWhoisServer(t *testing.T) *whoisServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &whoisServer{t: t, ln: ln, addr: ln.Addr().String(), stop: make(chan struct{})}
	t.Cleanup(func() {
		close(s.stop)
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// serve answers every connection by calling handle with the query line
// (without CRLF); the connection is closed when handle returns.
func (s *whoisServer) serve(handle func(q string, c net.Conn)) {
	s.wg.Go(func() {
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.hits.Add(1)
			s.wg.Go(func() {
				defer c.Close()
				n := s.active.Add(1)
				defer s.active.Add(-1)
				for {
					p := s.peak.Load()
					if n <= p || s.peak.CompareAndSwap(p, n) {
						break
					}
				}
				q, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					return
				}
				q = strings.TrimSuffix(q, "\r\n")
				s.mu.Lock()
				s.queries = append(s.queries, q)
				s.mu.Unlock()
				handle(q, c)
			})
		}
	})
}

// answer serves a fixed text.
func (s *whoisServer) answer(text string) *whoisServer {
	s.serve(func(_ string, c net.Conn) { c.Write([]byte(text)) })
	return s
}

func TestWhoisReferralChain(t *testing.T) {
	a, b, c := newWhoisServer(t), newWhoisServer(t), newWhoisServer(t)
	const record = "NetRange: 10.0.0.0 - 10.255.255.255\r\nOrgName: Test Org\r\n"
	// IANA puts the referral on a "refer:" line; ARIN names the next
	// server as a whois:// URL.
	a.answer("% IANA WHOIS server\n\nrefer:        " + b.addr + "\n\ninetnum: 10.0.0.0 - 10.255.255.255\n")
	b.answer("NetRange: 10.0.0.0 - 10.255.255.255\nReferralServer:  whois://" + c.addr + "\n")
	c.answer(record)

	text, servers, err := Whois(t.Context(), WhoisConfig{Server: a.addr, Timeout: 5 * time.Second}, testAddr)
	if err != nil {
		t.Fatal(err)
	}
	if text != record {
		t.Errorf("text = %q, want %q", text, record)
	}
	if want := []string{a.addr, b.addr, c.addr}; !slices.Equal(servers, want) {
		t.Errorf("servers = %q, want %q", servers, want)
	}
	for _, s := range []*whoisServer{a, b, c} {
		s.mu.Lock()
		if !slices.Equal(s.queries, []string{"10.0.3.7"}) {
			t.Errorf("server %s got queries %q, want [10.0.3.7]", s.addr, s.queries)
		}
		s.mu.Unlock()
	}
}

func TestWhoisReferralLimits(t *testing.T) {
	t.Run("loop", func(t *testing.T) {
		a, b := newWhoisServer(t), newWhoisServer(t)
		a.answer("refer: " + b.addr + "\n")
		b.answer("whois: " + a.addr + "\nrecord B\n")
		text, servers, err := Whois(t.Context(), WhoisConfig{Server: a.addr, Timeout: 5 * time.Second}, testAddr)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "record B") {
			t.Errorf("text = %q, want B's answer", text)
		}
		if want := []string{a.addr, b.addr}; !slices.Equal(servers, want) {
			t.Errorf("servers = %q, want %q", servers, want)
		}
		if a.hits.Load() != 1 || b.hits.Load() != 1 {
			t.Errorf("hits A=%d B=%d, want 1 each", a.hits.Load(), b.hits.Load())
		}
	})
	t.Run("max hops", func(t *testing.T) {
		s := make([]*whoisServer, 4)
		for i := range s {
			s[i] = newWhoisServer(t)
		}
		for i := range 3 {
			s[i].answer("refer: " + s[i+1].addr + "\n")
		}
		s[3].answer("last\n")
		text, servers, err := Whois(t.Context(), WhoisConfig{Server: s[0].addr, Timeout: 5 * time.Second, MaxHops: 2}, testAddr)
		if err != nil {
			t.Fatal(err)
		}
		if len(servers) != 3 || s[3].hits.Load() != 0 {
			t.Errorf("servers = %q, last server hit %d times; want 3 servers, 0 hits", servers, s[3].hits.Load())
		}
		if text != "refer: "+s[3].addr+"\n" {
			t.Errorf("text = %q, want the third server's answer", text)
		}
	})
	t.Run("referral fails", func(t *testing.T) {
		// A listener closed at once gives a port nobody answers on.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := ln.Addr().String()
		ln.Close()
		a := newWhoisServer(t).answer("refer: " + dead + "\nIANA text\n")
		text, servers, err := Whois(t.Context(), WhoisConfig{Server: a.addr, Timeout: 5 * time.Second}, testAddr)
		if err == nil {
			t.Fatal("no error for an unreachable referral")
		}
		if !strings.Contains(text, "IANA text") || len(servers) != 2 {
			t.Errorf("text = %q, servers = %q; want the first answer and both servers", text, servers)
		}
	})
}

func TestWhoisTimeout(t *testing.T) {
	s := newWhoisServer(t)
	s.serve(func(_ string, c net.Conn) {
		c.Write([]byte("% partial answer, then nothing\n"))
		<-s.stop
	})
	start := time.Now()
	text, _, err := Whois(t.Context(), WhoisConfig{Server: s.addr, Timeout: 300 * time.Millisecond}, testAddr)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if text != "" {
		t.Errorf("text = %q, want none on time-out", text)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v with a 300ms timeout", d)
	}

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, _, err := Whois(ctx, WhoisConfig{Server: s.addr, Timeout: time.Minute}, testAddr)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestWhoisTruncates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(c net.Conn, stop chan struct{})
	}{
		{"1MiB then close", func(c net.Conn, _ chan struct{}) {
			c.Write([]byte(strings.Repeat("x", 1<<20)))
		}},
		{"endless", func(c net.Conn, stop chan struct{}) {
			chunk := []byte(strings.Repeat("y", 4096))
			for {
				if _, err := c.Write(chunk); err != nil {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newWhoisServer(t)
			s.serve(func(_ string, c net.Conn) { tc.write(c, s.stop) })
			text, _, err := Whois(t.Context(), WhoisConfig{Server: s.addr, Timeout: 5 * time.Second}, testAddr)
			if err != nil {
				t.Fatal(err)
			}
			if len(text) != MaxWhoisAnswer {
				t.Errorf("len(text) = %d, want %d", len(text), MaxWhoisAnswer)
			}
		})
	}
}

func TestWhoisHostileText(t *testing.T) {
	const hostile = "netname: EVIL\x1b[2J\x1b]0;pwned\x07\x00NET\r\n" +
		"descr: caf\xc3\xa9 \xe2\x80\xaeexe.txt\xff\r\n" +
		"Bcc: x\x1b[31m\r\n"
	s := newWhoisServer(t).answer(hostile)
	text, _, err := Whois(t.Context(), WhoisConfig{Server: s.addr, Timeout: 5 * time.Second}, testAddr)
	if err != nil {
		t.Fatal(err)
	}
	if text != hostile {
		t.Fatalf("Whois changed the text: %q", text)
	}
	if got, want := Sanitize(text, false), "netname: EVILNET\ndescr: café exe.txt\uFFFD\nBcc: x\n"; got != want {
		t.Errorf("Sanitize = %q, want %q", got, want)
	}
	if got, want := Sanitize(text, true), "netname: EVILNET\ndescr: cafNANA exe.txtNA\nBcc: x\n"; got != want {
		t.Errorf("Sanitize(forceASCII) = %q, want %q", got, want)
	}
}

func TestWhoisQueryForm(t *testing.T) {
	s := newWhoisServer(t).answer("ok\n")
	for _, ip := range []string{"::ffff:10.0.3.7", "2001:db8::7", "fe80::1%eth0"} {
		if _, _, err := Whois(t.Context(), WhoisConfig{Server: s.addr, Timeout: 5 * time.Second}, netip.MustParseAddr(ip)); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if want := []string{"10.0.3.7", "2001:db8::7", "fe80::1"}; !slices.Equal(s.queries, want) {
		t.Errorf("queries = %q, want %q", s.queries, want)
	}
}

func TestWhoisDial(t *testing.T) {
	// The default server is only named, never contacted: Dial redirects.
	s := newWhoisServer(t).answer("redirected\n")
	var dialed []string
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, network+" "+addr)
		var d net.Dialer
		return d.DialContext(ctx, network, s.addr)
	}
	text, servers, err := Whois(t.Context(), WhoisConfig{Dial: dial, Timeout: 5 * time.Second}, testAddr)
	if err != nil || text != "redirected\n" {
		t.Fatalf("Whois = %q, %v", text, err)
	}
	if want := []string{"tcp " + DefaultWhoisServer}; !slices.Equal(dialed, want) || !slices.Equal(servers, []string{DefaultWhoisServer}) {
		t.Errorf("dialed %q, servers %q; want %q", dialed, servers, want)
	}
}

func TestReferral(t *testing.T) {
	for _, tc := range []struct {
		text, want string
	}{
		{"refer:        whois.arin.net\n", "whois.arin.net:43"},
		{"whois: WHOIS.RIPE.NET.\n", "whois.ripe.net:43"},
		{"ReferralServer:  whois://rwhois.example.net:4321/\n", "rwhois.example.net:4321"},
		{"ReferralServer: rwhois://rwhois.example.net:4321\nrefer: whois.apnic.net\n", "whois.apnic.net:43"},
		{"refer: 2001:db8::43\n", "[2001:db8::43]:43"},
		{"refer: [2001:db8::43]:4343\n", "[2001:db8::43]:4343"},
		{"% refer: whois.example.net\n", ""},
		{"remarks: refer: whois.example.net\n", ""},
		{"refer: evil host\r\n", ""},
		{"refer: whois.example.net:0\n", ""},
		{"refer: whois.example.net:99999\n", ""},
		{"refer: whois.example.net:+43\n", ""},
		{"refer: fe80::1%eth0\n", ""},
		{"refer: a/b\n", ""},
		{"no referral here\n", ""},
	} {
		got, ok := referral(tc.text)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("referral(%q) = %q, %v; want %q", tc.text, got, ok, tc.want)
		}
	}
}

func TestWhoisTarget(t *testing.T) {
	home := netip.MustParsePrefix("10.0.3.0/24")
	local := home.Contains
	in, out := netip.MustParseAddr("10.0.3.7"), netip.MustParseAddr("192.0.2.9")
	for _, tc := range []struct {
		name     string
		src, dst netip.Addr
		forceSrc bool
		want     netip.Addr
		isSrc    bool
	}{
		{"remote source", out, in, false, out, true},
		{"local source, remote destination", in, out, false, out, false},
		{"local source, forced", in, out, true, in, true},
		{"both local", in, in, false, in, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, isSrc := WhoisTarget(tc.src, tc.dst, tc.forceSrc, local)
			if got != tc.want || isSrc != tc.isSrc {
				t.Errorf("WhoisTarget = %v, %v; want %v, %v", got, isSrc, tc.want, tc.isSrc)
			}
		})
	}
}
