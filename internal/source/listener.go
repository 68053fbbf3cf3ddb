package source

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"github.com/psadgo/psad/internal/syslogd"
)

// ListenerConfig says where to receive syslog messages from remote
// firewalls (SYSLOG_LISTEN_UDP, SYSLOG_LISTEN_TCP, SYSLOG_LISTEN_TLS).
type ListenerConfig struct {
	// UDP, TCP and TLS are listen addresses; "" disables that transport.
	// At least one must be set.
	UDP, TCP, TLS string
	// TLSConfig is required with TLS (see [syslogd.Config]).
	TLSConfig *tls.Config
	// KernelTags are the tags of kernel messages; others are rejected.
	// Default ["kernel"].
	KernelTags []string
	// MaxMessage is the largest message accepted; zero means
	// [syslogd.DefaultMaxMessage].
	MaxMessage int
}

// Listener receives syslog messages over the network with package
// syslogd. Messages sent while the daemon was down are gone, so there is
// no position: pos is always nil.
//
// Unlike the other inputs, Listener calls sink from several goroutines
// at once (one per TCP or TLS connection, plus the UDP reader), so sink
// must be safe for concurrent use; lines from one connection, or from the
// UDP socket, arrive in order.
type Listener struct {
	srv *syslogd.Server
}

// NewListener binds the sockets c names, so that a bad address is
// reported at start and addresses with port 0 are known (see
// [Listener.Addrs]). Call Run, or Close if Run is never called.
func NewListener(c ListenerConfig, log *slog.Logger) (*Listener, error) {
	log = orDiscard(log).With("input", "listener")
	srv, err := syslogd.Listen(syslogd.Config{
		UDP: c.UDP, TCP: c.TCP, TLS: c.TLS, TLSConfig: c.TLSConfig,
		KernelTags: c.KernelTags, MaxMessage: c.MaxMessage,
		Logf: func(f string, a ...any) { log.Debug(fmt.Sprintf(f, a...)) },
	})
	if err != nil {
		return nil, fmt.Errorf("listener: %w", err)
	}
	return &Listener{srv: srv}, nil
}

// Name returns "listener".
func (l *Listener) Name() string { return "listener" }

// Ready returns nil: the sockets are bound by NewListener, and the
// kernel queues what arrives before Run.
func (l *Listener) Ready() <-chan struct{} { return nil }

// Resume accepts only an empty position: the listener has none.
func (l *Listener) Resume(pos []byte) error {
	if len(pos) != 0 {
		return fmt.Errorf("listener position %q: the listener has no positions: %w", pos, ErrPosition)
	}
	return nil
}

// Run receives messages until ctx is done or sink returns false, then
// closes the sockets. It may be called once. sink is called concurrently
// (see [Listener]) with a nil pos; after one call returns false, calls
// already under way on other connections may still happen until Run
// returns.
func (l *Listener) Run(ctx context.Context, sink func(line, pos []byte) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := l.srv.Serve(ctx, func(line []byte) {
		if !sink(line, nil) {
			cancel()
		}
	}); err != nil {
		return fmt.Errorf("listener: %w", err)
	}
	return nil
}

// Addrs returns the bound addresses (nil for a disabled transport).
func (l *Listener) Addrs() (udp, tcp, tls net.Addr) { return l.srv.Addrs() }

// Stats returns the listener's message counts. Safe for concurrent use.
func (l *Listener) Stats() syslogd.Stats { return l.srv.Stats() }

// Rejected returns how many messages were not tagged as the kernel's
// (forged, or other programs'). Safe for concurrent use.
func (l *Listener) Rejected() uint64 { return l.srv.Stats().Rejected }

// Lost returns how many UDP datagrams the kernel dropped, the socket
// buffer full, before they could be read. Safe for concurrent use.
func (l *Listener) Lost() uint64 { return l.srv.Stats().Dropped }

// Close releases the sockets when Run is never called.
func (l *Listener) Close() error { return l.srv.Close() }
