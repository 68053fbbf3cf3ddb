package logsrc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"
)

// KmsgRecord is one record of the kernel log buffer.
type KmsgRecord struct {
	Seq      uint64 // sequence number, counting from 0 at boot
	Usec     uint64 // microseconds since boot (the kernel's local clock)
	Facility int    // 0 for the kernel itself; writes to /dev/kmsg from user space get 1 (user) or what they ask for, never 0
	Level    int
	// Lost is how many records were overwritten in the ring before they
	// could be read, just before this one (from gaps in Seq, and from the
	// AfterSeq resume point).
	Lost uint64
	// Msg is the message with the kernel's \xNN escapes decoded. It is
	// valid only during the sink call.
	Msg []byte
}

// Kernel reports whether r was logged by the kernel itself. Only root
// can write to /dev/kmsg, but the kernel never lets a write claim
// facility 0, so this is how a firewall line from netfilter is told from
// one written by a program (the check journald's _TRANSPORT=kernel makes).
func (r KmsgRecord) Kernel() bool { return r.Facility == 0 }

// KmsgOptions tune [Kmsg].
type KmsgOptions struct {
	Path string // default /dev/kmsg
	// AfterSeq resumes after a restart: records with Seq <= *AfterSeq are
	// skipped, and reading starts at the oldest record still in the ring
	// (FromStart is implied). Sequence numbers restart at boot: pass it
	// only if [BootID] is the one stored with it.
	AfterSeq *uint64
	// FromStart reads the records already in the ring; otherwise reading
	// starts with the next record logged (as psad ignores existing file
	// content).
	FromStart bool
	// Logf receives diagnostics (records overwritten before they were
	// read, malformed records). May be nil.
	Logf func(format string, args ...any)
	// Ready, when set, is called once the device is open and positioned:
	// every record logged after that is read.
	Ready func()
}

// kmsgBuf is the read size. Each read of /dev/kmsg returns exactly one
// record and fails with EINVAL if the buffer is smaller than it; the
// kernel formats records into buffers of CONSOLE_EXT_LOG_MAX (8 KiB), so
// no record is larger.
const kmsgBuf = 8 << 10

// Kmsg reads the kernel log buffer from /dev/kmsg as klogd does, calling
// sink for each record (on the calling goroutine, in order) until ctx is
// done, when it returns nil. Dictionary lines (" KEY=value" after a
// record) are skipped. Records that the kernel overwrote before they were
// read (EPIPE) are counted in [KmsgRecord.Lost] and logged; reading goes
// on. Kmsg also accepts a regular file or FIFO of records in the same
// format (tests), returning nil at its end.
//
// sink gets every record, whatever its facility; a daemon should drop
// those for which [KmsgRecord.Kernel] is false.
func Kmsg(ctx context.Context, o KmsgOptions, sink func(r KmsgRecord)) error {
	path := o.Path
	if path == "" {
		path = "/dev/kmsg"
	}
	// On Linux os.Open registers a pollable file such as /dev/kmsg or a
	// FIFO with the runtime poller, so a blocked Read is ended by a read
	// deadline: that is how cancellation reaches it.
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("kmsg: %w", err)
	}
	defer f.Close()
	if !o.FromStart && o.AfterSeq == nil {
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			return fmt.Errorf("kmsg: seek to end of %s: %w", path, err)
		}
	}
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	if o.Ready != nil {
		o.Ready()
	}
	return readKmsg(ctx, f, o, sink)
}

// readKmsg is the read loop of Kmsg, on any reader (tests inject read
// errors through it).
func readKmsg(ctx context.Context, f io.Reader, o KmsgOptions, sink func(KmsgRecord)) error {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	k := kmsgReader{after: o.AfterSeq, logf: logf, sink: sink, done: ctx.Done()}
	if o.AfterSeq != nil {
		k.prev, k.havePrev = *o.AfterSeq, true
	}
	buf := make([]byte, kmsgBuf)
	var carry []byte // an incomplete line, from a stream that is not /dev/kmsg
	for {
		n, err := f.Read(buf)
		if n > 0 {
			data := buf[:n]
			if len(carry) > 0 {
				carry = append(carry, data...)
				data = carry
			}
			rest := k.records(data)
			carry = append(carry[:0], rest...)
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
		case errors.Is(err, syscall.EPIPE):
			// The reader fell behind and the kernel overwrote records;
			// the next read returns the oldest one left.
			k.epipe = true
		case errors.Is(err, syscall.EINVAL) && len(buf) < 64<<10:
			// Not expected with 8 KiB (see kmsgBuf); a kernel with larger
			// records gets a larger buffer rather than a dead reader.
			buf = make([]byte, 2*len(buf))
		case err == io.EOF:
			if len(carry) > 0 {
				k.records(append(carry, '\n'))
			}
			return nil
		default:
			return fmt.Errorf("kmsg: %w", err)
		}
	}
}

type kmsgReader struct {
	after    *uint64
	prev     uint64 // Seq of the last record seen
	havePrev bool
	epipe    bool
	logf     func(string, ...any)
	sink     func(KmsgRecord)
	done     <-chan struct{}
	msg      []byte
}

// records parses the complete lines of data and returns the incomplete
// rest.
func (k *kmsgReader) records(data []byte) []byte {
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return data
		}
		line := data[:i]
		data = data[i+1:]
		if len(line) == 0 || line[0] == ' ' {
			continue // dictionary line (" SUBSYSTEM=net") or blank
		}
		r, ok := k.parse(line)
		if !ok {
			k.logf("kmsg: malformed record %.80q", line)
			continue
		}
		if k.after != nil && r.Seq <= *k.after {
			continue
		}
		// After the largest Seq, k.prev+1 wraps to 0: a smaller Seq is
		// the numbering starting again, not a gap.
		if k.havePrev && r.Seq > k.prev && r.Seq-k.prev > 1 {
			r.Lost = r.Seq - k.prev - 1
		}
		switch {
		case r.Lost > 0:
			k.logf("kmsg: %d records were overwritten before they could be read", r.Lost)
		case k.epipe:
			k.logf("kmsg: records were overwritten before they could be read")
		}
		k.epipe = false
		k.prev, k.havePrev = r.Seq, true
		select {
		case <-k.done:
			return nil
		default:
		}
		k.sink(r)
	}
}

// parse parses "pri,seq,usec,flags[,more];message" (the kernel's
// Documentation/ABI/testing/dev-kmsg).
func (k *kmsgReader) parse(line []byte) (KmsgRecord, bool) {
	var r KmsgRecord
	semi := bytes.IndexByte(line, ';')
	if semi < 0 {
		return r, false
	}
	head, msg := line[:semi], line[semi+1:]
	var f [3]uint64
	for i := range f {
		c := bytes.IndexByte(head, ',')
		if c < 0 {
			if i < 2 {
				return r, false
			}
			c = len(head) // flags are optional for our purposes
		}
		v, err := strconv.ParseUint(string(head[:c]), 10, 64)
		if err != nil {
			return r, false
		}
		f[i] = v
		head = head[min(c+1, len(head)):]
	}
	r.Facility, r.Level = int(f[0]>>3), int(f[0]&7)
	r.Seq, r.Usec = f[1], f[2]
	k.msg = unescapeKmsg(k.msg[:0], msg)
	r.Msg = k.msg
	return r, true
}

// unescapeKmsg appends msg to dst with the kernel's \xNN escapes (used
// for bytes below space, DEL and above, and backslash itself) decoded.
func unescapeKmsg(dst, msg []byte) []byte {
	for i := 0; i < len(msg); i++ {
		if msg[i] == '\\' && i+3 < len(msg) && msg[i+1] == 'x' {
			if hi, ok := unhex(msg[i+2]); ok {
				if lo, ok := unhex(msg[i+3]); ok {
					dst = append(dst, hi<<4|lo)
					i += 3
					continue
				}
			}
		}
		dst = append(dst, msg[i])
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// KmsgLine appends r to dst as a syslog-style line that the LOG line
// parser understands, as a system logger would have written it:
//
//	Mar  1 20:35:11 host kernel: [  123.456789] IN=eth0 OUT= ...
//
// The time is boot plus r.Usec, in the local time zone like syslog (see
// [BootTime]); the bracketed uptime has the kernel's own layout, which
// IGNORE_KERNEL_TIMESTAMP strips. An empty host is written as
// "localhost" so that the line keeps its fields.
func KmsgLine(dst []byte, r KmsgRecord, boot time.Time, host string) []byte {
	t := boot.Add(time.Duration(r.Usec) * time.Microsecond)
	dst = appendSyslogHead(dst, t, host)
	dst = append(dst, '[')
	dst = appendPadded(dst, r.Usec/1e6, 5, ' ')
	dst = append(dst, '.')
	dst = appendPadded(dst, r.Usec%1e6, 6, '0')
	dst = append(dst, "] "...)
	return append(dst, r.Msg...)
}

// appendPadded appends v in decimal, padded on the left with pad to at
// least width bytes. It formats in place rather than through a string,
// since KmsgLine runs for every record.
func appendPadded(dst []byte, v uint64, width int, pad byte) []byte {
	var b [20]byte
	n := strconv.AppendUint(b[:0], v, 10)
	for i := len(n); i < width; i++ {
		dst = append(dst, pad)
	}
	return append(dst, n...)
}

// appendSyslogHead appends "Mon _2 15:04:05 host kernel: ".
func appendSyslogHead(dst []byte, t time.Time, host string) []byte {
	dst = t.AppendFormat(dst, time.Stamp)
	dst = append(dst, ' ')
	if host == "" {
		host = "localhost"
	}
	dst = append(dst, host...)
	return append(dst, " kernel: "...)
}

// BootID returns the kernel's random boot identifier, which tells whether
// a stored Seq belongs to the running boot.
func BootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", fmt.Errorf("boot id: %w", err)
	}
	return string(bytes.TrimSpace(b)), nil
}
