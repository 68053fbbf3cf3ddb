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
type journalDecoder struct {
	raw journalFields
	msg []byte
}

// journalFields are the fields of a record Journal looks at, undecoded
// because each may be a string or an array (see journalValue).
type journalFields struct {
	Cursor    json.RawMessage `json:"__CURSOR"`
	Realtime  json.RawMessage `json:"__REALTIME_TIMESTAMP"`
	Hostname  json.RawMessage `json:"_HOSTNAME"`
	Transport json.RawMessage `json:"_TRANSPORT"`
	Facility  json.RawMessage `json:"SYSLOG_FACILITY"`
	Message   json.RawMessage `json:"MESSAGE"`
}

// decode returns the record in line and reports whether it is a kernel
// record with a message.
func (d *journalDecoder) decode(line []byte) (JournalRecord, bool) {
	r := &d.raw
	// Fields absent from this line must not keep the last line's value;
	// the buffers are kept.
	*r = journalFields{r.Cursor[:0], r.Realtime[:0], r.Hostname[:0], r.Transport[:0], r.Facility[:0], r.Message[:0]}
	if err := json.Unmarshal(line, r); err != nil {
		return JournalRecord{}, false
	}
	tr, ok := journalValue(nil, r.Transport)
	if !ok || string(tr) != "kernel" {
		return JournalRecord{}, false
	}
	if fac, ok := journalValue(nil, r.Facility); ok && string(fac) != "0" {
		return JournalRecord{}, false
	}
	var rec JournalRecord
	if d.msg, ok = journalValue(d.msg[:0], r.Message); !ok {
		return rec, false
	}
	rec.Msg = d.msg
	if b, ok := journalValue(nil, r.Cursor); ok {
		rec.Cursor = string(b)
	}
	if b, ok := journalValue(nil, r.Hostname); ok {
		rec.Host = string(b)
	}
	if b, ok := journalValue(nil, r.Realtime); ok {
		if us, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			rec.Realtime = time.UnixMicro(us)
		}
	}
	return rec, true
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
