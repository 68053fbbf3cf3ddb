package lookup

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// DefaultDNSTimeout bounds a reverse lookup when ResolverConfig.Timeout is
// zero. psad had no timeout of its own and inherited the resolver's
// (typically 5 s times attempts times servers); an alert may wait on this,
// so a few seconds is the most worth spending.
const DefaultDNSTimeout = 5 * time.Second

// ErrInvalidName is wrapped by [Reverse] errors when the PTR record holds
// something that is not a plausible host name.
var ErrInvalidName = errors.New("invalid host name in PTR record")

// ErrNoName is returned by [Reverse] when the answer holds no PTR name.
var ErrNoName = errors.New("no PTR record")

// ResolverConfig configures [Reverse].
type ResolverConfig struct {
	// Server is a DNS server as "host:port" that receives every query
	// (used by tests); empty means the system resolver.
	Server string

	// Timeout bounds one lookup; zero means DefaultDNSTimeout.
	Timeout time.Duration
}

// Reverse returns the first PTR name of ip without the trailing dot. The
// name is controlled by whoever holds the reverse zone, often the scanner
// itself, so it is returned only when it is a plausible host name (letters,
// digits, '-' and '.', at most 253 characters); anything else is an error
// wrapping [ErrInvalidName] and the name is not returned.
func Reverse(ctx context.Context, c ResolverConfig, ip netip.Addr) (name string, err error) {
	if !ip.IsValid() {
		return "", errors.New("reverse dns: invalid address")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultDNSTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	r := net.DefaultResolver
	if c.Server != "" {
		server := c.Server
		r = &net.Resolver{
			PreferGo: true,
			Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, server)
			},
		}
	}
	addr := ip.Unmap().WithZone("")
	// The resolver drops records it considers malformed and reports an
	// error beside the rest, so any name it did return is still usable.
	names, err := r.LookupAddr(ctx, addr.String())
	if len(names) == 0 {
		if err == nil {
			err = ErrNoName
		}
		return "", fmt.Errorf("reverse dns %s: %w", addr, err)
	}
	name = strings.TrimSuffix(names[0], ".")
	if !validHostname(name) {
		return "", fmt.Errorf("reverse dns %s: %w: %q", addr, ErrInvalidName, name)
	}
	return name, nil
}
