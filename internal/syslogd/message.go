package syslogd

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"
)

// lineLayout is the timestamp of every delivered line: RFC 3339 with
// microseconds and a numeric zone, as rsyslog's high-precision format. psad's
// ISO header pattern (detection.md 3.2) needs at least one character after
// the seconds, which the fraction guarantees even for whole seconds.
const lineLayout = "2006-01-02T15:04:05.000000-07:00"

// rfc3164Options make the RFC 3164 machine lenient about the header
// variants real senders use: rsyslog's RFC 3339 timestamps, journald's and
// Cisco's fractional seconds, and zero-padded days ("Mar 07").
// Embedded newlines are accepted because message boundaries come from the
// framing (datagram, octet count or line); they are blanked on output.
func rfc3164Options() []syslog.MachineOption {
	return []syslog.MachineOption{
		rfc3164.WithRFC3339(),
		rfc3164.WithSecondFractions(),
		rfc3164.WithLenientDay(),
		rfc3164.WithEmbeddedNewlines(),
	}
}

// errNoMessage is returned when a machine accepts nothing; go-syslog's RFC
// 3164 machine reports some failures as a nil message with a nil error.
var errNoMessage = errors.New("not a syslog message")

// record is one parsed syslog message, reduced to what psad needs.
type record struct {
	ts   time.Time // zero when the message had no timestamp
	host string    // empty when the message had none
	tag  string    // RFC 3164 TAG or RFC 5424 APP-NAME; empty when absent
	msg  string
}

// parser parses one unframed syslog message. It is not safe for concurrent
// use (go-syslog machines keep their state in the machine); the UDP reader
// and each connection own one.
type parser struct {
	m5424 syslog.Machine
	m3164 syslog.Machine
}

func newParser() *parser {
	return &parser{
		m5424: rfc5424.NewMachine(),
		m3164: rfc3164.NewMachine(rfc3164Options()...),
	}
}

// parse reads b as RFC 5424 when it starts with "<PRI>1 " and falls back to
// RFC 3164, which is also used for everything else. A single trailing LF or
// CRLF is dropped first: many senders end datagrams with one.
func (p *parser) parse(b []byte) (record, error) {
	b = trimEOL(b)
	if isRFC5424(b) {
		if m, err := p.m5424.Parse(b); err == nil && m != nil {
			return fromMessage(m)
		}
	}
	m, err := p.m3164.Parse(b)
	if err == nil && m != nil {
		return fromMessage(m)
	}
	// go-syslog's RFC 3164 machine reads RFC 3339 timestamps only without
	// a fraction, but rsyslog's RSYSLOG_ForwardFormat always sends one
	// ("<4>2015-03-07T05:09:30.045015+02:00 host kernel: ..."). Parse the
	// timestamp here and let the machine read the rest without it.
	if ts, rest, ok := splitFracStamp(b); ok {
		if m, err2 := p.m3164.Parse(rest); err2 == nil && m != nil {
			r, err2 := fromMessage(m)
			r.ts = ts
			return r, err2
		}
	}
	if err == nil {
		err = errNoMessage
	}
	return record{}, err
}

// fromMessage converts a message from either go-syslog machine.
func fromMessage(m syslog.Message) (record, error) {
	var b *syslog.Base
	switch m := m.(type) {
	case *rfc5424.SyslogMessage:
		b = &m.Base
	case *rfc3164.SyslogMessage:
		b = &m.Base
	default:
		return record{}, fmt.Errorf("unexpected syslog message type %T", m)
	}
	if !m.Valid() {
		return record{}, errNoMessage
	}
	var r record
	if b.Timestamp != nil {
		r.ts = *b.Timestamp
	}
	if b.Hostname != nil {
		r.host = *b.Hostname
	}
	if b.Appname != nil {
		r.tag = *b.Appname
	}
	if b.Message != nil {
		// RFC 5424 allows a UTF-8 byte order mark before MSG.
		r.msg = trimBOM(*b.Message)
	}
	return r, nil
}

// isRFC5424 reports whether b starts with "<PRI>1 ", the RFC 5424 VERSION.
func isRFC5424(b []byte) bool {
	if len(b) < 5 || b[0] != '<' {
		return false
	}
	i := 1
	for i < len(b) && i <= 3 && isDigit(b[i]) {
		i++
	}
	return i > 1 && i+2 < len(b) && b[i] == '>' && b[i+1] == '1' && b[i+2] == ' '
}

// splitFracStamp recognises "<PRI>" followed by an RFC 3339 timestamp with
// fractional seconds. It returns the timestamp and b with the fraction
// removed, which go-syslog's RFC 3164 machine accepts.
func splitFracStamp(b []byte) (time.Time, []byte, bool) {
	if len(b) < 3 || b[0] != '<' {
		return time.Time{}, nil, false
	}
	gt := bytes.IndexByte(b[:min(len(b), 5)], '>')
	if gt < 2 {
		return time.Time{}, nil, false
	}
	start := gt + 1
	end := start
	for end < len(b) && b[end] != ' ' {
		end++
	}
	stamp := b[start:end]
	// "YYYY-MM-DDTHH:MM:SS." is 20 bytes; the fraction starts at 19.
	if len(stamp) < 21 || stamp[10] != 'T' || stamp[19] != '.' {
		return time.Time{}, nil, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(stamp))
	if err != nil {
		return time.Time{}, nil, false
	}
	f := 20
	for f < len(stamp) && isDigit(stamp[f]) {
		f++
	}
	rest := make([]byte, 0, len(b)-(f-19))
	rest = append(rest, b[:start+19]...)
	rest = append(rest, b[start+f:]...)
	return ts, rest, true
}

// stampTime completes a timestamp for output. A missing one becomes now. An
// RFC 3164 "Mmm dd hh:mm:ss" stamp (go-syslog leaves it in year 0, UTC) has
// neither year nor zone: it is read in loc, in now's year, or the year
// before when that would put it more than a day after now; the same rule
// as fwlog.ParseTime, including the step back over a 29 February that
// does not exist in now's year.
func stampTime(ts, now time.Time, loc *time.Location) time.Time {
	if ts.IsZero() {
		return now.In(loc)
	}
	if ts.Year() != 0 {
		return ts
	}
	year := now.In(loc).Year()
	for range 9 {
		t := time.Date(year, ts.Month(), ts.Day(), ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond(), loc)
		if t.Day() == ts.Day() && !t.After(now.Add(24*time.Hour)) {
			return t
		}
		year--
	}
	return now.In(loc)
}

// appendLine appends the line delivered for r:
//
//	2015-03-07T05:09:30.045015+02:00 host kernel: message
//
// host falls back to peer (the sender's address) when the message named no
// host or named one psad could not read as one token. Control bytes in the
// message (an octet-counted or datagram message may contain newlines)
// become spaces, so one message is always exactly one line and cannot
// smuggle in a second, forged one.
func appendLine(dst []byte, r record, now time.Time, loc *time.Location, peer string) []byte {
	return appendFields(dst, r.ts, r.host, r.msg, now, loc, peer)
}

// appendFields is appendLine for a message's parts, which fastRecord
// gives as slices of the message and go-syslog as strings.
func appendFields[T string | []byte](dst []byte, ts time.Time, host, msg T, now time.Time, loc *time.Location, peer string) []byte {
	dst = stampTime(ts, now, loc).AppendFormat(dst, lineLayout)
	dst = append(dst, ' ')
	if isToken(host) {
		dst = append(dst, host...)
	} else {
		dst = append(dst, peer...)
	}
	dst = append(dst, " kernel: "...)
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c < 0x20 || c == 0x7f {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// isToken reports whether s is non-empty printable ASCII without blanks.
func isToken[T string | []byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

func trimBOM(s string) string {
	if len(s) >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf {
		return s[3:]
	}
	return s
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
