// Package syslogout sends psad's syslog alerts (operations spec 6.4.1):
// tag SYSLOG_IDENTITY without a PID, facility SYSLOG_FACILITY, severity
// SYSLOG_PRIORITY, to the local syslog socket or a remote collector.
//
// It formats messages itself instead of using log/syslog's Writer because
// that one always appends "[pid]" to the tag, and psad's lines read
// "psad: scan detected ..." (C syslog(3) without LOG_PID); scripts that
// match psad's syslog output expect exactly that. log/syslog still
// provides the facility and severity values.
package syslogout

import (
	"errors"
	"fmt"
	"log/syslog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config selects the tag, priority and destination.
type Config struct {
	Identity string // SYSLOG_IDENTITY; "" means "psad"
	Facility string // SYSLOG_FACILITY, e.g. "LOG_LOCAL7"; "" means LOG_LOCAL7
	Priority string // SYSLOG_PRIORITY, e.g. "LOG_INFO"; "" means LOG_INFO
	// Network and Addr choose the destination: "" sends to the local
	// syslog socket (/dev/log, trying a datagram then a stream socket, as
	// syslog(3) does); otherwise e.g. "udp" "127.0.0.1:514", "tcp"
	// "logs:514" or "unixgram" "/path/to/socket".
	Network, Addr string
}

// Writer is a connection to syslog. It is safe for concurrent use.
type Writer struct {
	pri    syslog.Priority
	tag    string
	net    string
	addr   string
	remote bool   // a network destination: the header carries the host name
	host   string // host name for remote destinations
	now    func() time.Time

	mu     sync.Mutex
	conn   net.Conn
	stream bool // conn is a stream socket: messages end in '\n'
}

// localSockets are where syslog daemons listen, in the order log/syslog
// and glibc try them.
var localSockets = []string{"/dev/log", "/var/run/syslog", "/var/run/log"}

// New parses the configuration and connects. An unknown facility or
// priority, or no reachable destination, is an error.
func New(c Config) (*Writer, error) {
	fac, err := Facility(c.Facility)
	if err != nil {
		return nil, err
	}
	sev, err := Severity(c.Priority)
	if err != nil {
		return nil, err
	}
	tag := c.Identity
	if tag == "" {
		tag = "psad"
	}
	if strings.ContainsAny(tag, " :[]\x00\r\n") {
		return nil, fmt.Errorf("SYSLOG_IDENTITY %q contains a blank, ':' or '['", tag)
	}
	w := &Writer{pri: fac | sev, tag: tag, net: c.Network, addr: c.Addr, now: time.Now}
	switch c.Network {
	case "", "unix", "unixgram":
	default:
		w.remote = true
		w.host, _ = os.Hostname()
		if w.host == "" {
			w.host = "localhost"
		}
	}
	if err := w.connect(); err != nil {
		return nil, err
	}
	return w, nil
}

// connect dials the destination; w.mu is held or w is not shared yet.
func (w *Writer) connect() error {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
	if w.net != "" {
		conn, err := net.Dial(w.net, w.addr)
		if err != nil {
			return fmt.Errorf("syslog: %w", err)
		}
		w.conn = conn
		w.stream = w.net != "udp" && w.net != "udp4" && w.net != "udp6" && w.net != "unixgram"
		return nil
	}
	var errs []error
	for _, path := range localSockets {
		for _, network := range []string{"unixgram", "unix"} {
			conn, err := net.Dial(network, path)
			if err == nil {
				w.conn, w.stream = conn, network == "unix"
				return nil
			}
			errs = append(errs, err)
		}
	}
	return fmt.Errorf("syslog: no local syslog socket: %w", errors.Join(errs...))
}

// maxMessage bounds a message: psad's lines are a few hundred bytes, and
// classic syslog daemons truncate or split much longer datagrams.
const maxMessage = 2048

// Send logs msg with the configured tag and priority. Control characters
// (a newline would split the message in two on a stream socket) are
// escaped, and long messages are cut. When the write fails Send
// reconnects once and retries, so a restarted syslog daemon loses no
// alert.
func (w *Writer) Send(msg string) error {
	msg = clean(msg)
	if len(msg) > maxMessage {
		msg = msg[:maxMessage]
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		if err := w.connect(); err != nil {
			return err
		}
	}
	if err := w.write(msg); err == nil {
		return nil
	}
	if err := w.connect(); err != nil {
		return err
	}
	if err := w.write(msg); err != nil {
		w.conn.Close()
		w.conn = nil
		return fmt.Errorf("syslog: %w", err)
	}
	return nil
}

// write sends one message in the BSD syslog format that syslog(3) uses
// locally, "<PRI>Mmm dd hh:mm:ss tag: msg", with the host name after the
// timestamp for a remote collector (RFC 3164 4.1).
func (w *Writer) write(msg string) error {
	var b []byte
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(w.pri), 10)
	b = append(b, '>')
	b = w.now().AppendFormat(b, time.Stamp)
	b = append(b, ' ')
	if w.remote {
		b = append(b, w.host...)
		b = append(b, ' ')
	}
	b = append(b, w.tag...)
	b = append(b, ": "...)
	b = append(b, msg...)
	if w.stream {
		b = append(b, '\n')
	}
	_, err := w.conn.Write(b)
	return err
}

// Close closes the connection; Send after Close reconnects.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		return nil
	}
	err := w.conn.Close()
	w.conn = nil
	return err
}

var facilities = map[string]syslog.Priority{
	"kern": syslog.LOG_KERN, "user": syslog.LOG_USER, "mail": syslog.LOG_MAIL,
	"daemon": syslog.LOG_DAEMON, "auth": syslog.LOG_AUTH, "syslog": syslog.LOG_SYSLOG,
	"lpr": syslog.LOG_LPR, "news": syslog.LOG_NEWS, "uucp": syslog.LOG_UUCP,
	"cron": syslog.LOG_CRON, "authpriv": syslog.LOG_AUTHPRIV, "ftp": syslog.LOG_FTP,
	"local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2,
	"local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5,
	"local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7,
}

var severities = map[string]syslog.Priority{
	"emerg": syslog.LOG_EMERG, "alert": syslog.LOG_ALERT, "crit": syslog.LOG_CRIT,
	"err": syslog.LOG_ERR, "warning": syslog.LOG_WARNING, "notice": syslog.LOG_NOTICE,
	"info": syslog.LOG_INFO, "debug": syslog.LOG_DEBUG,
	// Aliases syslog.conf accepts.
	"error": syslog.LOG_ERR, "warn": syslog.LOG_WARNING, "panic": syslog.LOG_EMERG,
}

// Facility parses a psad facility name: "LOG_LOCAL7", "local7" (any
// case); "" is psad's default LOG_LOCAL7. psad's config check admits only
// local0-7; the other standard names are accepted here for other callers.
func Facility(s string) (syslog.Priority, error) {
	if s == "" {
		return syslog.LOG_LOCAL7, nil
	}
	if f, ok := facilities[trimLOG(s)]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("SYSLOG_FACILITY %q is not a syslog facility such as LOG_LOCAL7", s)
}

// Severity parses a psad priority name: "LOG_INFO", "info" (any case);
// "" is psad's default LOG_INFO.
func Severity(s string) (syslog.Priority, error) {
	if s == "" {
		return syslog.LOG_INFO, nil
	}
	if p, ok := severities[trimLOG(s)]; ok {
		return p, nil
	}
	return 0, fmt.Errorf("SYSLOG_PRIORITY %q is not a syslog priority such as LOG_INFO", s)
}

func trimLOG(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.TrimPrefix(s, "log_")
}

// clean escapes control characters as "\xHH" ("\n" and friends in their
// short form), so one Send is one line in the log.
func clean(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
