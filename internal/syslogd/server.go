// Package syslogd receives syslog messages from remote firewalls over UDP,
// TCP and TLS, so that psad can run on a central log server, and hands on
// the kernel's messages as lines in the syslog form psad's parser reads
// (detection.md 3.2).
//
// Only messages whose tag (RFC 3164) or APP-NAME (RFC 5424) is one of
// [Config.KernelTags] are passed on. That stops the forgeries psad itself is
// open to (operations.md 14 item 1): a user on a firewall who runs
// "logger 'IN=eth0 OUT= SRC=...'" produces a message tagged with the user's
// name or "logger", which is rejected here. It does not authenticate
// anything: whoever can send to a listening port can send a message tagged
// "kernel" with any host name and any text, and psad will act on it as a
// firewall record (auto-blocking the addresses it names, if enabled). Bind
// the listeners to interfaces only the firewalls can reach, or use TLS with
// a [tls.Config] that requires and verifies client certificates.
package syslogd

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// DefaultMaxMessage is the default Config.MaxMessage: the size every
// RFC 5425 (syslog over TLS) receiver must accept, and far above a kernel
// LOG line (about 300 bytes with MAC and IPv6 addresses and TCP options).
const DefaultMaxMessage = 8192

// handshakeTimeout bounds a TLS handshake, so that a client that connects
// and sends nothing does not hold a goroutine and a socket until shutdown.
const handshakeTimeout = 10 * time.Second

// logEvery limits how often a malformed message is logged: anyone who can
// reach the port could otherwise flood the operational log. Stats counts
// every one.
const logEvery = 10 * time.Second

// Config says where to listen and what to accept.
type Config struct {
	// UDP, TCP and TLS are listen addresses ("127.0.0.1:514", ":6514");
	// "" disables that transport. At least one must be set.
	UDP, TCP, TLS string
	// TLSConfig is required when TLS is set. Set ClientAuth to
	// tls.RequireAndVerifyClientCert (with ClientCAs) to accept only
	// known firewalls; see the package documentation.
	TLSConfig *tls.Config
	// KernelTags are the syslog tags (RFC 3164) or APP-NAMEs (RFC 5424)
	// of kernel messages; others are counted as Rejected. Default
	// ["kernel"], what the Linux kernel's messages carry when forwarded
	// by rsyslog, syslog-ng or journald.
	KernelTags []string
	// MaxMessage is the largest message accepted, in bytes, without
	// framing; default DefaultMaxMessage. A larger one is Malformed.
	MaxMessage int
	// Logf receives operational messages (dropped connections,
	// malformed input); nil discards them.
	Logf func(format string, args ...any)
}

// Stats counts messages since Listen.
type Stats struct {
	// Accepted messages were passed to the sink.
	Accepted uint64
	// Rejected messages were well-formed but not tagged as kernel
	// messages (forged with logger, or other programs' messages).
	Rejected uint64
	// Malformed counts input that was not a syslog message: a bad
	// datagram, a TCP or TLS stream that broke framing or failed the
	// TLS handshake (the connection is then closed), or a message longer
	// than MaxMessage.
	Malformed uint64
	// Connections counts TCP and TLS connections accepted, and Ended
	// those of them that are over, closed by either side, with
	// everything they sent counted: the difference is the connections
	// open.
	Connections, Ended uint64
	// Dropped counts UDP datagrams the kernel dropped before they could
	// be read, its socket buffer full (Linux's SO_RXQ_OVFL counter, as
	// of the last datagram read).
	Dropped uint64
}

// Server is a syslog receiver. Create one with [Listen].
type Server struct {
	cfg  Config
	tags map[string]bool
	udp  *net.UDPConn
	tcp  net.Listener
	tls  net.Listener // plain TCP; connections are wrapped in tls.Server

	// now and loc are the clock and the zone of RFC 3164 timestamps,
	// which carry none; tests replace them before Serve.
	now func() time.Time
	loc *time.Location

	accepted, rejected, malformed, connections, ended, dropped atomic.Uint64

	done chan struct{} // closed by Close

	mu      sync.Mutex
	closed  bool
	serving bool
	conns   map[net.Conn]struct{}

	logMu      sync.Mutex
	lastLog    time.Time
	suppressed int
}

// Listen checks c, applies its defaults and binds the sockets it names, so
// that addresses with port 0 are resolved (see [Server.Addrs]) before
// [Server.Serve] runs.
func Listen(c Config) (*Server, error) {
	if c.UDP == "" && c.TCP == "" && c.TLS == "" {
		return nil, errors.New("syslogd: no listen address")
	}
	if c.TLS != "" && c.TLSConfig == nil {
		return nil, fmt.Errorf("syslogd: TLS address %q without a TLS configuration", c.TLS)
	}
	if c.MaxMessage < 0 {
		return nil, fmt.Errorf("syslogd: negative maximum message size %d", c.MaxMessage)
	}
	if c.MaxMessage == 0 {
		c.MaxMessage = DefaultMaxMessage
	}
	if len(c.KernelTags) == 0 {
		c.KernelTags = []string{"kernel"}
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	s := &Server{
		cfg:   c,
		tags:  make(map[string]bool, len(c.KernelTags)),
		now:   time.Now,
		loc:   time.Local,
		done:  make(chan struct{}),
		conns: make(map[net.Conn]struct{}),
	}
	for _, t := range c.KernelTags {
		s.tags[t] = true
	}
	var err error
	if c.UDP != "" {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", c.UDP); err != nil {
			return nil, fmt.Errorf("syslogd: %w", err)
		}
		s.udp = pc.(*net.UDPConn)
		if err := udpReceiveSetup(s.udp); err != nil {
			c.Logf("syslogd: %v", err)
		}
	}
	if c.TCP != "" {
		if s.tcp, err = net.Listen("tcp", c.TCP); err != nil {
			s.Close()
			return nil, fmt.Errorf("syslogd: %w", err)
		}
	}
	if c.TLS != "" {
		if s.tls, err = net.Listen("tcp", c.TLS); err != nil {
			s.Close()
			return nil, fmt.Errorf("syslogd: %w", err)
		}
	}
	return s, nil
}

// Addrs returns the bound addresses; nil for a disabled transport.
func (s *Server) Addrs() (udp, tcp, tls net.Addr) {
	if s.udp != nil {
		udp = s.udp.LocalAddr()
	}
	if s.tcp != nil {
		tcp = s.tcp.Addr()
	}
	if s.tls != nil {
		tls = s.tls.Addr()
	}
	return udp, tcp, tls
}

// Stats returns the counters; it may be called at any time.
func (s *Server) Stats() Stats {
	return Stats{
		Accepted:    s.accepted.Load(),
		Rejected:    s.rejected.Load(),
		Malformed:   s.malformed.Load(),
		Connections: s.connections.Load(),
		Ended:       s.ended.Load(),
		Dropped:     s.dropped.Load(),
	}
}

// Serve receives messages until ctx is done or [Server.Close] is called,
// then closes every socket and connection, waits for its goroutines and
// returns nil. It may be called once.
//
// Each accepted message is passed to sink as one line
//
//	2015-03-07T05:09:30.045015+02:00 fw1 kernel: DROP IN=eth0 OUT= SRC=...
//
// with the message's own timestamp (the receive time when it has none; an
// RFC 3164 stamp is read in the local zone, in the year that puts it at
// most a day in the future), the host name from the message (the sender's
// IP address when it has none) and the literal tag "kernel:" whatever
// KernelTags matched. Control characters in the message become spaces, so
// a line never contains a newline. Lines from one connection, and from
// the UDP socket, arrive in order.
//
// sink is called from several goroutines at once (one per TCP or TLS
// connection, plus the UDP reader), so it must be safe for concurrent use.
// line is valid only during the call; sink must copy what it keeps. A slow
// sink slows the senders of that goroutine only (TCP back-pressure; the
// kernel drops UDP datagrams once the socket buffer is full).
func (s *Server) Serve(ctx context.Context, sink func(line []byte)) error {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return errors.New("syslogd: Serve after Close")
	case s.serving:
		s.mu.Unlock()
		return errors.New("syslogd: Serve called twice")
	}
	s.serving = true
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if s.udp != nil {
		wg.Go(func() { s.serveUDP(sink) })
	}
	if s.tcp != nil {
		wg.Go(func() { s.accept(ctx, &wg, s.tcp, false, sink) })
	}
	if s.tls != nil {
		wg.Go(func() { s.accept(ctx, &wg, s.tls, true, sink) })
	}
	select {
	case <-ctx.Done():
	case <-s.done:
	}
	s.Close()
	wg.Wait()
	return nil
}

// Close closes the sockets and open connections, which ends Serve. It is
// needed only when Serve is never called; a second call does nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()

	var errs []error
	if s.udp != nil {
		errs = append(errs, s.udp.Close())
	}
	if s.tcp != nil {
		errs = append(errs, s.tcp.Close())
	}
	if s.tls != nil {
		errs = append(errs, s.tls.Close())
	}
	for c := range conns {
		c.Close() // the handler reports nothing for a connection we end
	}
	return errors.Join(errs...)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track registers c so that Close can end it; it reports false (and
// closes c) when the server is already closed.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c) // no-op after Close set conns to nil
}

// serveUDP reads one message per datagram until the socket is closed.
func (s *Server) serveUDP(sink func([]byte)) {
	max := s.cfg.MaxMessage
	// Datagrams are read udpBatch at a time (recvmmsg on Linux): one
	// read a datagram cost 3-4 us here, several times the parsing.
	var rb interface {
		ReadBatch(ms []ipv4.Message, flags int) (int, error)
	}
	if a, ok := s.udp.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
		rb = ipv6.NewPacketConn(s.udp)
	} else {
		rb = ipv4.NewPacketConn(s.udp)
	}
	msgs := make([]ipv4.Message, udpBatch)
	for i := range msgs {
		// One byte more than max tells an oversized datagram (truncated
		// by the read) from one of exactly max bytes.
		msgs[i].Buffers = [][]byte{make([]byte, max+1)}
		msgs[i].OOB = make([]byte, oobSize)
	}
	p := newParser()
	var line []byte
	var delay time.Duration
	var peerAddr netip.Addr
	var peer string
	for {
		n, err := rb.ReadBatch(msgs, 0)
		if err != nil {
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			delay = backoff(delay)
			s.cfg.Logf("syslogd: UDP read: %v; retrying in %v", err, delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		for i := range n {
			m := &msgs[i]
			if d, ok := dropCount(m.OOB[:m.NN]); ok {
				s.dropped.Store(uint64(d))
			}
			// A relay sends from one address: its text is made once.
			var a netip.Addr
			if from, ok := m.Addr.(*net.UDPAddr); ok {
				a = from.AddrPort().Addr().Unmap()
			}
			if a != peerAddr || peer == "" {
				peerAddr, peer = a, a.String()
			}
			b := m.Buffers[0][:m.N]
			if m.N > max {
				s.noteMalformed("UDP", peer, errTooLong)
				continue
			}
			if line, err = s.handle(line, b, peer, p, sink); err != nil {
				s.noteMalformed("UDP", peer, err)
			}
		}
	}
}

// udpBatch is how many datagrams one read takes at most.
const udpBatch = 32

// accept accepts connections on l until it is closed, handling each in a
// goroutine counted in wg.
func (s *Server) accept(ctx context.Context, wg *sync.WaitGroup, l net.Listener, isTLS bool, sink func([]byte)) {
	var delay time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait, as
			// net/http's Server does, rather than spin or give up.
			delay = backoff(delay)
			s.cfg.Logf("syslogd: accept on %s: %v; retrying in %v", l.Addr(), err, delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if !s.track(c) {
			return
		}
		s.connections.Add(1)
		wg.Go(func() {
			s.serveConn(ctx, c, isTLS, sink)
			c.Close()
			s.untrack(c)
			s.ended.Add(1)
		})
	}
}

func backoff(d time.Duration) time.Duration {
	if d == 0 {
		return 5 * time.Millisecond
	}
	return min(2*d, time.Second)
}

// serveConn reads a TCP or TLS stream until it ends or breaks framing. The
// framing is chosen by the first byte, as rsyslog's imtcp does: a digit
// starts an octet count (RFC 6587 3.4.1, RFC 5425), '<' starts a message
// of a newline-terminated stream (RFC 6587 3.4.2).
func (s *Server) serveConn(ctx context.Context, c net.Conn, isTLS bool, sink func([]byte)) {
	peer := peerAddr(c.RemoteAddr())
	transport := "TCP"
	var r io.Reader = c
	if isTLS {
		transport = "TLS"
		tc := tls.Server(c, s.cfg.TLSConfig)
		hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			if !s.isClosed() {
				s.noteMalformed(transport, peer, fmt.Errorf("TLS handshake: %w", err))
			}
			return
		}
		r = tc
	}
	max := s.cfg.MaxMessage
	// Room for a frame of max bytes and its CRLF (see readLine).
	br := bufio.NewReaderSize(r, max+2)
	first, err := br.Peek(1)
	if err != nil {
		return // closed before sending anything
	}
	switch {
	case isDigit(first[0]):
		err = s.serveOctets(br, peer, sink)
	case first[0] == '<':
		err = s.serveLines(br, peer, sink)
	default:
		err = fmt.Errorf("stream starts with %q, neither an octet count nor '<'", first[0])
	}
	if err != nil && !s.isClosed() {
		s.noteMalformed(transport, peer, fmt.Errorf("%w; connection closed", err))
	}
}

// serveLines handles a newline-framed stream. A frame that is too long or
// not a syslog message ends the connection: the stream cannot be trusted
// to be in step any more, and a sender of garbage should not keep a
// connection.
func (s *Server) serveLines(br *bufio.Reader, peer string, sink func([]byte)) error {
	return s.serveFrames(peer, sink, func() ([]byte, error) {
		frame, err := readLine(br, s.cfg.MaxMessage)
		if err != nil && !errors.Is(err, errTooLong) {
			return nil, errStreamEnd // end of stream or connection error
		}
		return frame, err
	})
}

// serveOctets handles an octet-counted stream, each frame read as
// serveLines reads a line (go-syslog's machines behind the fast path),
// so an RFC 3164 header with rsyslog's fractional RFC 3339 stamp reads
// here too, which go-syslog's own octet-counting parser could not. A
// framing or parse error ends the connection.
func (s *Server) serveOctets(br *bufio.Reader, peer string, sink func([]byte)) error {
	return s.serveFrames(peer, sink, func() ([]byte, error) {
		frame, err := readOctets(br, s.cfg.MaxMessage)
		if errors.Is(err, io.EOF) {
			return nil, errStreamEnd // a clean end of stream
		}
		return frame, err
	})
}

// errStreamEnd is what a stream's next frame function returns at its end,
// which is no error of the stream.
var errStreamEnd = errors.New("end of stream")

// serveFrames delivers the frames next returns, each read by fastRecord
// or else by go-syslog's machines, until next fails or a frame is not a
// syslog message; it returns that error, nil at errStreamEnd.
func (s *Server) serveFrames(peer string, sink func([]byte), next func() ([]byte, error)) error {
	p := newParser()
	var line []byte
	for {
		frame, err := next()
		if err != nil {
			if errors.Is(err, errStreamEnd) {
				return nil
			}
			return err
		}
		if line, err = s.handle(line, frame, peer, p, sink); err != nil {
			return err
		}
	}
}

// handle delivers one message, read by fastRecord when it can and by p
// otherwise; the error says it was not a syslog message. buf is the line
// buffer, returned for reuse.
func (s *Server) handle(buf, msg []byte, peer string, p *parser, sink func([]byte)) ([]byte, error) {
	buf, fast := s.deliverFast(buf, msg, peer, sink)
	if fast {
		return buf, nil
	}
	r, err := p.parse(msg)
	if err != nil {
		return buf, err
	}
	return s.deliver(buf, r, peer, sink), nil
}

// deliver passes r to sink when its tag is a kernel tag, building the line
// in buf, which it returns for reuse.
func (s *Server) deliver(buf []byte, r record, peer string, sink func([]byte)) []byte {
	if !s.tags[r.tag] {
		s.rejected.Add(1)
		return buf
	}
	s.accepted.Add(1)
	buf = appendLine(buf[:0], r, s.now(), s.loc, peer)
	sink(buf)
	return buf
}

// deliverFast delivers b, as deliver would, when fastRecord reads it
// (nearly every kernel message a firewall relays), without allocating;
// fast is false when the caller must parse b with the machine.
func (s *Server) deliverFast(buf, b []byte, peer string, sink func([]byte)) (_ []byte, fast bool) {
	ts, host, tag, msg, ok := fastRecord(trimEOL(b))
	if !ok {
		return buf, false
	}
	if !s.tags[string(tag)] {
		s.rejected.Add(1)
		return buf, true
	}
	s.accepted.Add(1)
	buf = appendFields(buf[:0], ts, host, msg, s.now(), s.loc, peer)
	sink(buf)
	return buf, true
}

// noteMalformed counts a malformed message and logs it, at most once per
// logEvery.
func (s *Server) noteMalformed(transport, peer string, err error) {
	s.malformed.Add(1)
	s.logMu.Lock()
	now := time.Now()
	if !s.lastLog.IsZero() && now.Sub(s.lastLog) < logEvery {
		s.suppressed++
		s.logMu.Unlock()
		return
	}
	n := s.suppressed
	s.lastLog, s.suppressed = now, 0
	s.logMu.Unlock()
	if n > 0 {
		s.cfg.Logf("syslogd: malformed %s input from %s: %v (%d more not logged)", transport, peer, err, n)
		return
	}
	s.cfg.Logf("syslogd: malformed %s input from %s: %v", transport, peer, err)
}

// peerAddr returns the IP address of a connection's remote end, the host
// name of last resort.
func peerAddr(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap().String()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap().String()
	}
	return a.String()
}
