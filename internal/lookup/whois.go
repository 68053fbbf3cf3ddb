package lookup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	// DefaultWhoisServer is where a query starts when WhoisConfig.Server is
	// empty. IANA knows which registry holds every address block and says
	// so in a "refer:" line, so starting there needs no built-in table of
	// registries.
	DefaultWhoisServer = "whois.iana.org:43"

	// DefaultWhoisTimeout is psad's WHOIS_TIMEOUT default (60 seconds),
	// applied when WhoisConfig.Timeout is zero.
	DefaultWhoisTimeout = 60 * time.Second

	// DefaultMaxHops is the number of referrals followed when
	// WhoisConfig.MaxHops is zero. IANA -> regional registry -> a
	// registry's own referral (ARIN to an ISP's server) is two; one more
	// leaves room without letting a chain of referrals run on.
	DefaultMaxHops = 3

	// MaxWhoisAnswer is the most read from one server. Real records are a
	// few KiB; the limit stops a hostile or broken server from filling
	// memory or an alert email.
	MaxWhoisAnswer = 64 << 10

	whoisPort = "43"
)

// WhoisConfig configures [Whois]. The zero value queries
// [DefaultWhoisServer] with psad's default timeout.
type WhoisConfig struct {
	// Server is the first server asked, as "host" or "host:port"
	// (port 43 when omitted). Empty means DefaultWhoisServer.
	Server string

	// Timeout bounds the whole query including every referral
	// (WHOIS_TIMEOUT). Zero means DefaultWhoisTimeout.
	Timeout time.Duration

	// MaxHops is the most referrals followed. Zero means DefaultMaxHops;
	// negative means referrals are not followed.
	MaxHops int

	// Dial opens the TCP connection; nil means a net.Dialer. Tests use it
	// to observe or redirect connections.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Whois runs an RFC 3912 query for ip: it connects to a server on TCP, sends
// the address followed by CRLF and reads the answer until the server closes
// the connection. It follows referrals, both IANA style ("refer:" or
// "whois:" lines) and ARIN style ("ReferralServer: whois://host[:port]"), up
// to c.MaxHops times and never asks the same server twice, so referral loops
// end. It reads at most [MaxWhoisAnswer] bytes per server.
//
// It returns the answer of the last server that answered and the servers
// contacted, in order. When a referral fails, text holds the previous
// server's answer, which is often still useful, and err says what failed; an
// error that wraps [context.DeadlineExceeded] means c.Timeout (or ctx)
// expired.
//
// The text is returned as received: it is controlled by the queried servers
// and must go through [Sanitize] before it is shown or mailed. Referral
// targets come from the same text, so they are accepted only when they are a
// plausible host name or IP address with a numeric port.
func Whois(ctx context.Context, c WhoisConfig, ip netip.Addr) (text string, servers []string, err error) {
	if !ip.IsValid() {
		return "", nil, errors.New("whois: invalid address")
	}
	server := c.Server
	if server == "" {
		server = DefaultWhoisServer
	}
	server, ok := serverAddr(server)
	if !ok {
		return "", nil, fmt.Errorf("whois: bad server %q", c.Server)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultWhoisTimeout
	}
	hops := c.MaxHops
	if hops == 0 {
		hops = DefaultMaxHops
	}
	dial := c.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// Registries expect the bare address: no zone, and IPv4 in dotted
	// form even when it arrived as an IPv4-mapped IPv6 address.
	q := ip.Unmap().WithZone("").String()
	seen := make(map[string]bool)
	for hop := 0; ; hop++ {
		seen[server] = true
		servers = append(servers, server)
		answer, err := query(ctx, dial, server, q)
		if err != nil {
			return text, servers, fmt.Errorf("whois %s: %w", server, err)
		}
		text = answer
		if hop >= hops {
			return text, servers, nil
		}
		next, ok := referral(text)
		if !ok || seen[next] {
			return text, servers, nil
		}
		server = next
	}
}

// query asks one server and returns at most MaxWhoisAnswer bytes of its
// answer. A longer answer is cut there without error: the start of a record
// holds the parts worth reading.
func query(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), server, q string) (string, error) {
	conn, err := dial(ctx, "tcp", server)
	if err != nil {
		return "", ctxErr(ctx, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// A deadline alone misses cancellation; make ctx ending unblock the
	// reads and writes as well.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	if _, err := io.WriteString(conn, q+"\r\n"); err != nil {
		return "", ctxErr(ctx, err)
	}
	b, err := io.ReadAll(io.LimitReader(conn, MaxWhoisAnswer))
	if err != nil {
		return "", ctxErr(ctx, err)
	}
	return string(b), nil
}

// ctxErr reports an I/O error caused by ctx ending as ctx's error, so callers
// can test for context.DeadlineExceeded; the connection deadline may fire a
// moment before ctx records it.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

// referral returns the server a whois answer refers to, normalised to
// host:port, and reports whether there was a usable one. The first usable
// referral line wins. rwhois:// and other schemes are skipped: they speak a
// different protocol.
func referral(text string) (string, bool) {
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "refer", "whois":
		case "referralserver":
			scheme, rest, ok := strings.Cut(v, "://")
			if ok {
				if !strings.EqualFold(scheme, "whois") {
					continue
				}
				v = strings.TrimSuffix(rest, "/")
			}
		default:
			continue
		}
		if addr, ok := serverAddr(v); ok {
			return addr, true
		}
	}
	return "", false
}

// serverAddr normalises "host", "host:port", "[v6]:port" or a bare IP
// address to a lower-case "host:port" with port 43 by default, and reports
// whether s was plausible. The result doubles as the key that stops a
// referral loop.
func serverAddr(s string) (string, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return "", false
		}
		return net.JoinHostPort(a.String(), whoisPort), true
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = s, whoisPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return "", false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return "", false
		}
		host = a.String()
	} else {
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		if !validHostname(host) {
			return "", false
		}
	}
	return net.JoinHostPort(host, port), true
}

// WhoisTarget returns the address psad looks up with whois for a
// src -> dst pair, and reports whether it is the source (the alert header
// then says "(source IP)", otherwise "(destination IP)"). It reproduces
// ENABLE_WHOIS_FORCE_SRC_IP: with forceSrc false, a local source talking to
// a non-local destination gets the destination looked up, since whois of
// one's own network says nothing new. local reports whether an address is
// inside a connected network.
func WhoisTarget(src, dst netip.Addr, forceSrc bool, local func(netip.Addr) bool) (ip netip.Addr, isSource bool) {
	if !forceSrc && local != nil && local(src) && !local(dst) {
		return dst, false
	}
	return src, true
}
