package logsrc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// JournalOptions tune [Journal].
type JournalOptions struct {
	Command string // default "journalctl", looked up in PATH
	// Args are appended after Journal's own arguments (tests, or options
	// such as --directory).
	Args []string
	// AfterCursor resumes after this record (a __CURSOR saved from
	// [JournalRecord.Cursor]); empty starts with the next record logged.
	AfterCursor string
}

// JournalRecord is one kernel record from the journal.
type JournalRecord struct {
	Cursor   string    // __CURSOR, to resume with AfterCursor
	Realtime time.Time // __REALTIME_TIMESTAMP, local time zone
	Host     string    // _HOSTNAME
	Msg      []byte    // MESSAGE; valid only during the sink call
}

// journalGrace is how long journalctl gets to exit after SIGTERM before
// it is killed and its output pipe closed.
const journalGrace = 2 * time.Second

// Journal runs
//
//	journalctl -k -f -o json (--after-cursor=C | -n 0) [Args...]
//
// directly (no shell) and calls sink, on the calling goroutine, with each
// record whose _TRANSPORT is "kernel". This replaces psad's
// FW_MSG_READ_CMD reader (spec 3.3.4), which ran `journalctl -f -k`
// through the shell and parsed its short text output, where a line
// forged with logger(1) looks like any other. Here each record's
// _TRANSPORT is checked even though -k already selects it, and a record
// with a SYSLOG_FACILITY other than 0 is refused too: journald also
// stores lines that root writes to /dev/kmsg with transport "kernel", but
// the kernel gives those facility 1 or more (see [KmsgRecord.Kernel]).
// Other records, and lines that are not JSON records with a MESSAGE, are
// counted in rejected and skipped.
//
// When ctx is done journalctl is sent SIGTERM (SIGKILL after a grace
// period) and Journal returns nil. If journalctl exits on its own, which
// with -f it should not, Journal returns an error with its exit status and
// the end of its standard error; the caller restarts it after a pause,
// as psad restarts its reader, passing the last cursor.
func Journal(ctx context.Context, o JournalOptions, sink func(JournalRecord)) (rejected int, err error) {
	name := o.Command
	if name == "" {
		name = "journalctl"
	}
	args := []string{"-k", "-f", "-o", "json"}
	if o.AfterCursor != "" {
		args = append(args, "--after-cursor="+o.AfterCursor)
	} else {
		args = append(args, "-n", "0")
	}
	args = append(args, o.Args...)

	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = journalGrace
	var stderr tailBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("journal: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("journal: %w", err)
	}
	// A process that ignores SIGTERM, or a child of it that keeps the
	// pipe open, must not keep the read below blocked: WaitDelay only
	// acts inside Wait, which runs after it.
	stop := context.AfterFunc(ctx, func() {
		time.AfterFunc(journalGrace, func() { out.Close() })
	})
	defer stop()

	rejected = readJournal(ctx, out, sink)
	werr := cmd.Wait()
	if ctx.Err() != nil {
		return rejected, nil
	}
	if werr == nil {
		werr = errors.New("exit status 0")
	}
	if s := bytes.TrimSpace(stderr.Bytes()); len(s) > 0 {
		return rejected, fmt.Errorf("journal: %s exited: %w: %q", name, werr, s)
	}
	return rejected, fmt.Errorf("journal: %s exited: %w", name, werr)
}

// readJournal decodes `journalctl -o json` output from r until its end or
// until ctx is done, calls sink with the kernel records and returns how
// many lines were rejected. It is separate from running the process so
// that it can be reused by whatever starts journalctl.
func readJournal(ctx context.Context, r io.Reader, sink func(JournalRecord)) (rejected int) {
	var d journalDecoder
	Each(r, func(line []byte) bool {
		rec, ok := d.decode(line)
		if !ok {
			rejected++
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		sink(rec)
		return true
	})
	return rejected
}

// journalDecoder decodes `journalctl -o json` lines, reusing its buffers.
// It scans each line once, checking the JSON grammar as it goes, and
// takes a field's text in place when it is a string without escapes:
// encoding/json took 28 allocations and 8 us a record (122,000 records a
// second, a quarter of the daemon's read rate from a file). Keys are
// compared exactly, as journal field names are: encoding/json matched
// them to a struct without regard to case.
type journalDecoder struct {
	fields  [numJournalFields][]byte // raw JSON value of each field; nil: absent
	msg     []byte                   // MESSAGE when it had to be decoded
	scratch []byte                   // any other field that had to be
	host    string                   // the last host, reused while it does not change
}

// The fields decode looks at, indexes into journalDecoder.fields.
const (
	fieldCursor = iota
	fieldRealtime
	fieldHostname
	fieldTransport
	fieldFacility
	fieldMessage
	numJournalFields
)

func journalField(key []byte) int {
	switch string(key) {
	case "__CURSOR":
		return fieldCursor
	case "__REALTIME_TIMESTAMP":
		return fieldRealtime
	case "_HOSTNAME":
		return fieldHostname
	case "_TRANSPORT":
		return fieldTransport
	case "SYSLOG_FACILITY":
		return fieldFacility
	case "MESSAGE":
		return fieldMessage
	}
	return -1
}

// decode returns the record in line and reports whether it is a kernel
// record with a message. Msg may point into line.
func (d *journalDecoder) decode(line []byte) (JournalRecord, bool) {
	d.fields = [numJournalFields][]byte{}
	if !d.scan(line) {
		return JournalRecord{}, false
	}
	if tr, ok := d.text(fieldTransport, &d.scratch); !ok || string(tr) != "kernel" {
		return JournalRecord{}, false
	}
	if fac, ok := d.text(fieldFacility, &d.scratch); ok && string(fac) != "0" {
		return JournalRecord{}, false
	}
	var rec JournalRecord
	var ok bool
	if rec.Msg, ok = d.text(fieldMessage, &d.msg); !ok {
		return JournalRecord{}, false
	}
	if b, ok := d.text(fieldCursor, &d.scratch); ok {
		rec.Cursor = string(b)
	}
	if b, ok := d.text(fieldHostname, &d.scratch); ok {
		if string(b) != d.host {
			d.host = string(b)
		}
		rec.Host = d.host
	}
	if b, ok := d.text(fieldRealtime, &d.scratch); ok {
		if us, ok := parseMicros(b); ok {
			rec.Realtime = time.UnixMicro(us)
		}
	}
	return rec, true
}

// text is field f's value as journalValue reads it: a view of the line
// when it is a string of valid UTF-8 without escapes, else decoded into
// *buf, which keeps its storage for the next line.
func (d *journalDecoder) text(f int, buf *[]byte) ([]byte, bool) {
	raw := d.fields[f]
	if len(raw) >= 2 && raw[0] == '"' {
		body := raw[1 : len(raw)-1]
		if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
			return body, true
		}
	}
	b, ok := journalValue((*buf)[:0], raw)
	*buf = b
	return b, ok
}

// parseMicros reads a decimal count as strconv.ParseInt(s, 10, 64) does,
// without making s a string.
func parseMicros(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<63)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

// scan reads line as one JSON object, keeping the raw values of the
// fields decode wants, the last of a repeated key as encoding/json does.
// It reports false for anything encoding/json would refuse to decode
// into a map, and for a value other than an object.
func (d *journalDecoder) scan(line []byte) bool {
	s := jsonScanner{b: line}
	s.space()
	if !s.byte('{') {
		return false
	}
	s.space()
	if !s.byte('}') {
		for {
			start := s.i
			esc, ok := s.str()
			if !ok {
				return false
			}
			key := line[start+1 : s.i-1]
			if esc {
				var k string
				if json.Unmarshal(line[start:s.i], &k) != nil {
					return false
				}
				key = []byte(k)
			}
			s.space()
			if !s.byte(':') {
				return false
			}
			s.space()
			vstart := s.i
			if !s.value(1) {
				return false
			}
			if f := journalField(key); f >= 0 {
				d.fields[f] = line[vstart:s.i]
			}
			s.space()
			if s.byte('}') {
				break
			}
			if !s.byte(',') {
				return false
			}
			s.space()
		}
	}
	s.space()
	return s.i == len(line)
}

// jsonScanner walks JSON text by RFC 8259's grammar, as encoding/json
// checks it.
type jsonScanner struct {
	b []byte
	i int
}

// maxJSONDepth is encoding/json's limit on nesting.
const maxJSONDepth = 10000

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte consumes c if it is next.
func (s *jsonScanner) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str consumes a string and reports whether it held an escape.
func (s *jsonScanner) str() (esc, ok bool) {
	if !s.byte('"') {
		return false, false
	}
	b := s.b
	for i := s.i; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return esc, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return esc, false
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return esc, false
					}
				}
				i += 6
			default:
				return esc, false
			}
		case c < 0x20:
			return esc, false
		default:
			i++
		}
	}
	return esc, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// value consumes one value of any kind at nesting depth depth.
func (s *jsonScanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '[', c == '{':
		if depth >= maxJSONDepth {
			return false
		}
		s.i++
		end := byte(']')
		if c == '{' {
			end = '}'
		}
		s.space()
		if s.byte(end) {
			return true
		}
		for {
			if c == '{' {
				if _, ok := s.str(); !ok {
					return false
				}
				s.space()
				if !s.byte(':') {
					return false
				}
				s.space()
			}
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.byte(end) {
				return true
			}
			if !s.byte(',') {
				return false
			}
			s.space()
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

func (s *jsonScanner) literal(w string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(w)) {
		s.i += len(w)
		return true
	}
	return false
}

// number consumes -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *jsonScanner) number() bool {
	s.byte('-')
	switch {
	case s.byte('0'):
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.byte('.') && !s.digits() {
		return false
	}
	if s.byte('e') || s.byte('E') {
		if !s.byte('+') {
			s.byte('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits consumes one or more digits.
func (s *jsonScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

// journalValue appends the value of a journal JSON field to dst. journalctl
// writes a field as a string when it is valid UTF-8 without control
// characters, as an array of byte values otherwise, as an array of those
// when the record has the field more than once (the first is taken), and
// as null when it is larger than 4 KiB (without --all). It reports false
// for an absent, null or malformed field.
func journalValue(dst []byte, raw json.RawMessage) ([]byte, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return dst, false
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return dst, false
		}
		return append(dst, s...), true
	case '[':
		var nums []uint8
		// []uint8 would expect base64; decode the numbers one by one.
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil || len(elems) == 0 {
			return dst, false
		}
		if e := bytes.TrimSpace(elems[0]); len(e) > 0 && (e[0] == '"' || e[0] == '[') {
			return journalValue(dst, elems[0])
		}
		for _, e := range elems {
			n, err := strconv.ParseUint(string(bytes.TrimSpace(e)), 10, 8)
			if err != nil {
				return dst, false
			}
			nums = append(nums, uint8(n))
		}
		return append(dst, nums...), true
	}
	return dst, false
}

// JournalLine appends r to dst as a syslog-style line that the LOG line
// parser understands, the form `journalctl -k` prints by default:
//
//	Mar  1 20:35:11 host kernel: IN=eth0 OUT= ...
//
// An empty host is written as "localhost" so that the line keeps its
// fields.
func JournalLine(dst []byte, r JournalRecord) []byte {
	dst = appendSyslogHead(dst, r.Realtime, r.Host)
	return append(dst, r.Msg...)
}

// tailBuffer keeps the last bytes written to it, for error messages about
// a failed command. It is written by os/exec's copying goroutine.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 1 << 10

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > tailMax {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-tailMax:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf)
}
