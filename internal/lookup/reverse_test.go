package lookup

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// dnsServer is a miekg/dns server on 127.0.0.1:0 (UDP) answering PTR
// queries from a fixed table; other names get NXDOMAIN.
type dnsServer struct {
	addr    string
	queries atomic.Int32
}

func startDNS(t *testing.T, ptr map[string]string, delay time.Duration) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsServer{addr: pc.LocalAddr().String()}
	stop := make(chan struct{})
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		s.queries.Add(1)
		select {
		case <-time.After(delay):
		case <-stop:
			return
		}
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		name, ok := ptr[strings.ToLower(q.Name)]
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypePTR:
			m.Answer = append(m.Answer, &dns.PTR{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60},
				Ptr: name,
			})
		}
		w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: handler, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() {
		close(stop)
		srv.Shutdown()
	})
	return s
}

var testPTR = map[string]string{
	"7.3.0.10.in-addr.arpa.": "host7.example.net.",
	"7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.": "v6host.example.net.",
	"8.3.0.10.in-addr.arpa.": "evil\r\nBcc: x.example.net.",
	"9.3.0.10.in-addr.arpa.": "under_score.example.net.",
}

func TestReverse(t *testing.T) {
	s := startDNS(t, testPTR, 0)
	cfg := ResolverConfig{Server: s.addr, Timeout: 5 * time.Second}
	for _, tc := range []struct {
		ip, want string
		wantErr  error // nil: any error
		ok       bool
	}{
		{ip: "10.0.3.7", want: "host7.example.net", ok: true},
		{ip: "::ffff:10.0.3.7", want: "host7.example.net", ok: true},
		{ip: "2001:db8::7", want: "v6host.example.net", ok: true},
		{ip: "10.0.3.8"}, // control characters: the resolver or Reverse rejects
		{ip: "10.0.3.9", wantErr: ErrInvalidName}, // valid DNS, but not a host name
		{ip: "10.0.3.10"},                         // NXDOMAIN
	} {
		t.Run(tc.ip, func(t *testing.T) {
			name, err := Reverse(t.Context(), cfg, netip.MustParseAddr(tc.ip))
			if tc.ok {
				if err != nil || name != tc.want {
					t.Errorf("Reverse = %q, %v; want %q", name, err, tc.want)
				}
				return
			}
			if err == nil || name != "" {
				t.Errorf("Reverse = %q, %v; want an error and no name", name, err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error text carries raw control characters: %q", err)
			}
		})
	}
}

func TestReverseTimeout(t *testing.T) {
	s := startDNS(t, testPTR, 10*time.Second)
	start := time.Now()
	_, err := Reverse(t.Context(), ResolverConfig{Server: s.addr, Timeout: 300 * time.Millisecond}, testAddr)
	if err == nil {
		t.Fatal("no error from a server that does not answer")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v with a 300ms timeout", d)
	}
}

func TestValidHostname(t *testing.T) {
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{"host.example.net", true},
		{"a-b.c1", true},
		{"localhost", true},
		{strings.Repeat("a", 63) + ".net", true},
		{strings.Repeat("a", 64) + ".net", false},
		{strings.Repeat("a.", 126) + "a", true}, // 253
		{strings.Repeat("a.", 126) + "ab", false},
		{"", false},
		{"a..b", false},
		{".a", false},
		{"a.", false}, // callers strip the trailing dot first
		{"evil\r\nBcc: x", false},
		{"under_score", false},
		{"sp ace", false},
		{"caf\u00e9.example", false},
		{"\x1b[2J", false},
	} {
		if got := validHostname(tc.s); got != tc.ok {
			t.Errorf("validHostname(%q) = %v, want %v", tc.s, got, tc.ok)
		}
	}
}
