package logsrc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

// logLine is a netfilter LOG line as the kernel logs it.
const logLine = "IN=eth0 OUT= MAC=00:16:3e:5e:6c:00:00:16:3e:11:22:33:08:00 SRC=192.0.2.1 DST=198.51.100.2 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0 "

// exportField is one field as journalctl -o export writes it: as text
// when the value is printable, as a length and bytes otherwise.
func exportField(b []byte, name string, value []byte, asBinary bool) []byte {
	if !asBinary {
		b = append(b, name...)
		b = append(b, '=')
		b = append(b, value...)
		return append(b, '\n')
	}
	b = append(b, name...)
	b = append(b, '\n')
	b = binary.LittleEndian.AppendUint64(b, uint64(len(value)))
	b = append(b, value...)
	return append(b, '\n')
}

// exportRecord writes fields given as "NAME=value" strings, each as text
// when journalctl would (printable UTF-8 without a newline), else binary;
// an empty line ends the record.
func exportRecord(fields ...string) string {
	var b []byte
	for _, f := range fields {
		name, value, _ := strings.Cut(f, "=")
		b = exportField(b, name, []byte(value), !exportPrintable([]byte(value)))
	}
	return string(append(b, '\n'))
}

// exportPrintable is what journalctl writes as text: printable UTF-8
// without a newline (systemd's utf8_is_printable, in export mode).
func exportPrintable(v []byte) bool {
	if !utf8.Valid(v) {
		return false
	}
	for _, c := range string(v) {
		if c < ' ' && c != '\t' || 0x7f <= c && c <= 0x9f {
			return false
		}
	}
	return true
}

// journalSeeds are `journalctl -o export` records: kernel records in each
// form journalctl writes a field in, records that must be refused, and
// text outside the format.
var journalSeeds = []string{
	exportRecord("__CURSOR=s=6f2a;i=1c40;b=9e1d;m=4c4b40;t=6129a1b2c3d4e;x=77a1", "__REALTIME_TIMESTAMP=1709325311123456", "__MONOTONIC_TIMESTAMP=5000000", "_BOOT_ID=9e1d", "_HOSTNAME=fw1", "_TRANSPORT=kernel", "SYSLOG_FACILITY=0", "SYSLOG_IDENTIFIER=kernel", "PRIORITY=4", "_SOURCE_MONOTONIC_TIMESTAMP=4999990", "MESSAGE=DROP "+logLine),
	// No SYSLOG_FACILITY, as older journald versions write kernel records.
	exportRecord("__CURSOR=s=6f2a;i=1c41", "__REALTIME_TIMESTAMP=1709325312000001", "_HOSTNAME=fw1", "_TRANSPORT=kernel", "MESSAGE="+logLine),
	// A log prefix with a byte that is not UTF-8, and one with a control
	// character: the message is binary.
	exportRecord("__CURSOR=s=6f2a;i=1c42", "_TRANSPORT=kernel", "SYSLOG_FACILITY=0", "MESSAGE=DROP\xff "+logLine),
	exportRecord("__CURSOR=s=6f2a;i=1c43", "_TRANSPORT=kernel", "MESSAGE=DROP\x01\n"+logLine),
	// A field twice: the first counts.
	exportRecord("__CURSOR=s=6f2a;i=1c44", "_TRANSPORT=kernel", "MESSAGE=first", "MESSAGE=sec\x01ond", "_TRANSPORT=syslog"),
	// logger -t kernel: the syslog transport claiming to be the kernel.
	exportRecord("__CURSOR=s=6f2a;i=1c46", "_HOSTNAME=fw1", "_TRANSPORT=syslog", "SYSLOG_IDENTIFIER=kernel", "SYSLOG_FACILITY=0", "MESSAGE="+logLine),
	// echo ... > /dev/kmsg by root: transport kernel, facility user.
	exportRecord("__CURSOR=s=6f2a;i=1c47", "_TRANSPORT=kernel", "SYSLOG_FACILITY=1", "MESSAGE="+logLine),
	exportRecord("_TRANSPORT=kernel", "SYSLOG_FACILITY=0", "_HOSTNAME=fw\xff", "__REALTIME_TIMESTAMP=-1", "MESSAGE=tab\tand \u00e9 and \\"),
	exportRecord("_TRANSPORT=kernel", "MESSAGE="),
	exportRecord("_TRANSPORT=kernel", "__REALTIME_TIMESTAMP=9223372036854775808", "MESSAGE=x"),
	exportRecord("_transport=kernel", "MESSAGE=x"),
	exportRecord("_TRANSPORT=kernel"),
	"-- No entries --\n\n",
	"_TRANSPORT=kernel\nMESSAGE=no blank line after it\n",
	"MESSAGE\n\x05\x00\x00\x00\x00\x00\x00\x00ab",
	"_TRANSPORT=kernel\nMESSAGE\n\x02\x00\x00\x00\x00\x00\x00\x00abX\n",
	"_TRANSPORT=kernel\nMESSAGE\n\xff\xff\xff\xff\xff\xff\xff\x7f\n\n" + exportRecord("_TRANSPORT=kernel", "MESSAGE=lost"),
}

// FuzzReadJournal exists because journalctl's output decides which
// records reach the LOG line parser as the kernel's, and the daemon
// counts what readJournal refuses and resumes from the cursors of what it
// hands on: a reader that accepted a record with another transport or a
// user facility, or took another occurrence of a field, would let user
// space forge firewall lines or change them. Whatever the output and
// however it arrives in reads, readJournal must hand on exactly the
// records refExport finds, a separate reading of the format over the
// whole input, and count as many rejected.
func FuzzReadJournal(f *testing.F) {
	for _, s := range journalSeeds {
		f.Add([]byte(s), []byte{}, uint8(0), uint16(0), byte(0))
	}
	// Kept short: the fuzzer's minimizing takes time in the square of
	// the length.
	f.Add([]byte(journalSeeds[1]+journalSeeds[5]+"\n\n"+journalSeeds[2]), []byte{0, 3, 200, 1}, uint8(0), uint16(0), byte(0))
	f.Add([]byte(journalSeeds[12]+journalSeeds[4]+journalSeeds[14]), []byte{7}, uint8(0), uint16(0), byte(0))
	// Text lines and binary values about a megabyte long, either side
	// of the limits: a message of MaxLine and of MaxLine+256 KiB, and
	// another field's binary value of maxField and of maxField+1.
	f.Add([]byte("_TRANSPORT=kernel\nMESSAGE=x\n\n"), []byte{}, uint8(longFrom+7), uint16(26), byte('A'))
	f.Add([]byte("_TRANSPORT=kernel\nMESSAGE=x\n\n"), []byte{}, uint8(longFrom+10), uint16(26), byte('A'))
	f.Add([]byte("_TRANSPORT=kernel\nMESSAGE=x\nX\n\x00\x00\x10\x00\x00\x00\x00\x00\n\n"), []byte{}, uint8(longFrom+7), uint16(38), byte(0))
	f.Add([]byte("_TRANSPORT=kernel\nMESSAGE=x\nX\n\x01\x00\x10\x00\x00\x00\x00\x00\n\n"), []byte{}, uint8(longFrom+8), uint16(38), byte(0))
	f.Fuzz(func(t *testing.T, data, sizes []byte, long uint8, at uint16, fill byte) {
		data = withRun(data, long, at, fill)
		var got []JournalRecord
		rejected := readJournal(context.Background(), &chunkReader{data: data, sizes: sizes, epipeAt: -1}, func(r JournalRecord) {
			got = append(got, cloneJournal(r))
		})
		want, wantRejected := refExport(data)
		if !slices.EqualFunc(got, want, sameJournal) || rejected != wantRejected {
			t.Errorf("records:\n got  %s, %d rejected\n want %s, %d rejected\ninput: %q", fmtJournals(got), rejected, fmtJournals(want), wantRejected, data)
		}
	})
}

// FuzzJournalRoundTrip: a kernel record written as journalctl writes it,
// each field as text or binary, reads back as itself, after another
// record that set every field, so nothing is kept from one record to the
// next.
func FuzzJournalRoundTrip(f *testing.F) {
	f.Add("s=6f2a;i=1c40", "fw1", int64(1709325311123456), []byte("DROP "+logLine), byte(0))
	f.Add("", "", int64(0), []byte("a\x00b\nc"), byte(0xff))
	f.Fuzz(func(t *testing.T, cursor, host string, usec int64, msg []byte, binaryMask byte) {
		field := func(b []byte, i int, name string, v []byte) []byte {
			return exportField(b, name, v, binaryMask&(1<<i) != 0 || !exportPrintable(v))
		}
		stale := exportRecord("__CURSOR=stale", "__REALTIME_TIMESTAMP=1234567890", "_HOSTNAME=stale-host", "_TRANSPORT=kernel", "SYSLOG_FACILITY=0", "MESSAGE=stale message")
		b := []byte(stale)
		want := JournalRecord{Msg: msg}
		if cursor != "" {
			b = field(b, 0, "__CURSOR", []byte(cursor))
			want.Cursor = []byte(cursor)
		}
		if host != "" {
			b = field(b, 1, "_HOSTNAME", []byte(host))
			want.Host = host
		}
		if usec != 0 {
			b = field(b, 2, "__REALTIME_TIMESTAMP", strconv.AppendInt(nil, usec, 10))
			want.Realtime = time.UnixMicro(usec)
		}
		b = field(b, 3, "_TRANSPORT", []byte("kernel"))
		b = field(b, 4, "MESSAGE", msg)
		b = append(b, '\n')
		var got []JournalRecord
		rejected := readJournal(context.Background(), bytes.NewReader(b), func(r JournalRecord) {
			got = append(got, cloneJournal(r))
		})
		if rejected != 0 || len(got) != 2 || !sameJournal(got[1], want) {
			t.Errorf("got %s, %d rejected; want the stale record and %s\ninput: %q", fmtJournals(got), rejected, fmtJournal(want), b)
		}
	})
}

// refExport reads the Journal Export Format over the whole of data, by
// its documentation rather than readJournal's code: the kernel records
// (transport kernel, facility 0 if given, a MESSAGE; the first value of a
// repeated field), and how many records were refused. A record is
// refused when a line is neither NAME=value nor a field name followed by
// a binary value, when a text line is longer than maxText or a binary
// value longer than maxField, when a binary value lacks its newline, and
// when data ends inside it.
func refExport(data []byte) (recs []JournalRecord, rejected int) {
	fields := map[string][]byte{}
	lines, bad := 0, false
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return recs, rejected + 1
		}
		line := data[:nl]
		data = data[nl+1:]
		if len(line) == 0 {
			if lines == 0 {
				continue
			}
			if r, ok := refJudge(fields); ok && !bad {
				recs = append(recs, r)
			} else {
				rejected++
			}
			fields, lines, bad = map[string][]byte{}, 0, false
			continue
		}
		lines++
		if len(line) > maxText {
			bad = true
		}
		if i := bytes.IndexByte(line, '='); i >= 0 {
			if _, dup := fields[string(line[:i])]; !dup {
				fields[string(line[:i])] = line[i+1:]
			}
			continue
		}
		if !refFieldName.Match(line) {
			bad = true
			continue
		}
		if len(data) < 8 {
			return recs, rejected + 1
		}
		n := binary.LittleEndian.Uint64(data)
		data = data[8:]
		if n >= uint64(len(data)) {
			return recs, rejected + 1 // the value, or its newline, cut
		}
		if n > maxField {
			bad = true
		}
		if _, dup := fields[string(line)]; !dup {
			fields[string(line)] = data[:n]
		}
		if data[n] != '\n' {
			bad = true
		}
		data = data[n+1:]
	}
	if lines > 0 {
		rejected++
	}
	return recs, rejected
}

var refFieldName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,63}$`)

func refJudge(fields map[string][]byte) (r JournalRecord, ok bool) {
	if string(fields["_TRANSPORT"]) != "kernel" {
		return r, false
	}
	if fac, ok := fields["SYSLOG_FACILITY"]; ok && string(fac) != "0" {
		return r, false
	}
	msg, ok := fields["MESSAGE"]
	if !ok {
		return r, false
	}
	r.Msg = msg
	r.Cursor = fields["__CURSOR"]
	r.Host = string(fields["_HOSTNAME"])
	if b, ok := fields["__REALTIME_TIMESTAMP"]; ok {
		if us, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			r.Realtime = time.UnixMicro(us)
		}
	}
	return r, true
}

func cloneJournal(r JournalRecord) JournalRecord {
	r.Msg, r.Cursor = bytes.Clone(r.Msg), bytes.Clone(r.Cursor)
	return r
}

func sameJournal(a, b JournalRecord) bool {
	return bytes.Equal(a.Cursor, b.Cursor) && a.Host == b.Host && bytes.Equal(a.Msg, b.Msg) &&
		a.Realtime.Equal(b.Realtime) && a.Realtime.IsZero() == b.Realtime.IsZero()
}

func fmtJournal(r JournalRecord) string {
	return fmt.Sprintf("{cursor %q host %q time %d/%v msg %q}", r.Cursor, r.Host, r.Realtime.UnixMicro(), r.Realtime.IsZero(), r.Msg)
}

func fmtJournals(rs []JournalRecord) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmtJournal(r))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// kmsgSeed is what /dev/kmsg gives, one record after another: a
// netfilter LOG line, a record with dictionary lines, escaped bytes, a
// record written from user space, extra header fields, a malformed line
// and a gap in the sequence numbers before a last record without its
// newline. It is kept short: the fuzzer's minimizing takes time in the
// square of the length.
const kmsgSeed = "" +
	"4,1234,5678901,-;" + logLine + "\n" +
	"6,1235,5678950,-;e1000e 0000:00:19.0 eth0: NIC Link is Up\n" +
	" SUBSYSTEM=pci\n" +
	" DEVICE=+pci:0000:00:19.0\n" +
	"4,1236,5679000,c;DROP\\x09\\x5c\\xff\\x0a IN=eth0 SRC=192.0.2.1\n" +
	"14,1237,5679100,-;forged IN=eth0 SRC=192.0.2.1\n" +
	"4,1238,5679200,-,caller=T0;IN=eth0 SRC=192.0.2.1 DPT=22\n" +
	"not a record\n" +
	"4,1242,5680000,-;IN=eth0 SRC=192.0.2.1 DPT=23"

// FuzzKmsg exists because /dev/kmsg is where the daemon reads the
// kernel's records, and a regular file or FIFO in the same format can
// stand in for it: whatever the input and however it arrives in reads,
// readKmsg must hand on exactly the records kmsgRef finds, in order, with
// their facility (how the daemon tells the kernel's lines from forged
// ones), escapes decoded and gaps counted in Lost, and must report every
// malformed line, every gap and every overrun (EPIPE) before the next
// record; every line that is not a dictionary line must be a record or a
// diagnostic; and a record written out again in the kernel's format must
// read back as itself.
func FuzzKmsg(f *testing.F) {
	f.Add([]byte(kmsgSeed), []byte{}, -1, uint64(0), false)
	f.Add([]byte(kmsgSeed), []byte{7, 200, 0, 31}, 300, uint64(1235), true)
	f.Add([]byte("6,1,2;\\x5\\x\\\\x41\\x4A\\x4a\n\n 4,2,3,-;dictionary\n6,2,3,-;"), []byte{1}, 0, uint64(0), false)
	f.Add([]byte("0,18446744073709551615,0;max\n0,0,0;zero\n7,5,18446744073709551615,-;"), []byte{3, 5}, 10, uint64(18446744073709551614), true)
	// Bytes the kernel would have escaped, raw: a FIFO or file may hold them.
	f.Add([]byte("4,7,8,-;DROP IN=eth0\tSRC=192.0.2.1\x7f\\\t\n"), []byte{}, -1, uint64(0), false)
	f.Fuzz(func(t *testing.T, data, sizes []byte, epipeAt int, afterSeq uint64, useAfter bool) {
		var after *uint64
		if useAfter {
			after = &afterSeq
		}
		if epipeAt < 0 {
			epipeAt = -1
		} else {
			epipeAt %= len(data) + 1
		}
		want := kmsgRef(data, after, epipeAt)
		got, _ := kmsgRun(t, &chunkReader{data: data, sizes: sizes, epipeAt: epipeAt}, after)
		if !slices.Equal(got, want) {
			t.Errorf("reads of %v, EPIPE after %d bytes, after %v:\n got  %q\n want %q\ninput: %q", sizes, epipeAt, after, got, want, data)
		}
		got, recs := kmsgRun(t, bytes.NewReader(data), after)
		if want := kmsgRef(data, after, -1); !slices.Equal(got, want) {
			t.Errorf("reads of up to %d bytes, after %v:\n got  %q\n want %q\ninput: %q", kmsgBuf, after, got, want, data)
		}

		var lines, told int
		for l := range bytes.Lines(data) {
			if l[0] != '\n' && l[0] != ' ' {
				lines++
			}
		}
		for _, e := range got {
			if strings.HasPrefix(e, "record ") || e == "malformed" {
				told++
			}
		}
		if after == nil && told != lines {
			t.Errorf("accounting: %d records and malformed lines, want %d lines\nevents: %q\ninput: %q", told, lines, got, data)
		}

		// Lost depends on the records around; the rest must survive.
		var enc []byte
		for _, r := range recs {
			enc = kernelKmsg(enc, r)
		}
		_, back := kmsgRun(t, bytes.NewReader(enc), nil)
		same := func(a, b KmsgRecord) bool {
			return a.Seq == b.Seq && a.Usec == b.Usec && a.Facility == b.Facility && a.Level == b.Level && bytes.Equal(a.Msg, b.Msg)
		}
		if !slices.EqualFunc(back, recs, same) {
			t.Errorf("re-encoded records:\n got  %+v\n want %+v\nre-encoded: %q", back, recs, enc)
		}
	})
}

// kmsgRun reads r with readKmsg and returns what it did: "record ..." for
// each record, "malformed", "lost N" or "overwritten" for each
// diagnostic; and the records.
func kmsgRun(t *testing.T, r io.Reader, after *uint64) (ev []string, recs []KmsgRecord) {
	o := KmsgOptions{AfterSeq: after, Logf: func(format string, args ...any) {
		switch msg := fmt.Sprintf(format, args...); {
		case strings.Contains(msg, "malformed"):
			ev = append(ev, "malformed")
		case strings.Contains(format, "%d records were overwritten"):
			ev = append(ev, fmt.Sprintf("lost %d", args[0]))
		case strings.Contains(msg, "overwritten"):
			ev = append(ev, "overwritten")
		default:
			ev = append(ev, "log "+msg)
		}
	}}
	err := readKmsg(context.Background(), r, o, func(r KmsgRecord) {
		ev = append(ev, kmsgEvent(r.Seq, r.Usec, r.Facility, r.Level, r.Lost, r.Msg))
		r.Msg = bytes.Clone(r.Msg)
		recs = append(recs, r)
	})
	if err != nil {
		t.Errorf("readKmsg: %v", err)
	}
	return ev, recs
}

func kmsgEvent(seq, usec uint64, fac, lvl int, lost uint64, msg []byte) string {
	return fmt.Sprintf("record seq=%d usec=%d fac=%d lvl=%d lost=%d msg=%q", seq, usec, fac, lvl, lost, msg)
}

// kmsgEscape matches the kernel's escape of a byte in a message.
var kmsgEscape = regexp.MustCompile(`\\x[0-9a-fA-F]{2}`)

// kmsgRef is what kmsgRun should return for data read from a stream that
// fails with EPIPE once after epipeAt bytes (never if negative), from the
// format in the kernel's Documentation/ABI/testing/dev-kmsg.
func kmsgRef(data []byte, after *uint64, epipeAt int) []string {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(bytes.Clone(data), '\n') // a stream's last line
	}
	var ev []string
	var prev uint64
	havePrev, epipe, off := after != nil, false, 0
	if after != nil {
		prev = *after
	}
	for l := range bytes.Lines(data) {
		off += len(l)
		if epipeAt >= 0 && off > epipeAt && off-len(l) <= epipeAt {
			epipe = true
		}
		line := l[:len(l)-1]
		if len(line) == 0 || line[0] == ' ' {
			continue
		}
		head, msg, ok := bytes.Cut(line, []byte(";"))
		fields := bytes.SplitN(head, []byte(","), 4)
		var v [3]uint64
		ok = ok && len(fields) >= 3
		for i := 0; ok && i < 3; i++ {
			var err error
			v[i], err = strconv.ParseUint(string(fields[i]), 10, 64)
			ok = err == nil
		}
		if !ok {
			ev = append(ev, "malformed")
			continue
		}
		seq := v[1]
		if after != nil && seq <= *after {
			continue
		}
		var lost uint64 // records skipped in the numbering; a Seq that went back skips none
		if havePrev && seq > prev && seq-prev > 1 {
			lost = seq - prev - 1
		}
		switch {
		case lost > 0:
			ev = append(ev, fmt.Sprintf("lost %d", lost))
		case epipe:
			ev = append(ev, "overwritten")
		}
		epipe, prev, havePrev = false, seq, true
		msg = kmsgEscape.ReplaceAllFunc(msg, func(m []byte) []byte {
			b, _ := strconv.ParseUint(string(m[2:]), 16, 8)
			return []byte{byte(b)}
		})
		ev = append(ev, kmsgEvent(seq, v[2], int(v[0]>>3), int(v[0]&7), lost, msg))
	}
	return ev
}

// kernelKmsg appends r to b as the kernel writes it, escaping control
// bytes, bytes from DEL up and the backslash.
func kernelKmsg(b []byte, r KmsgRecord) []byte {
	b = fmt.Appendf(b, "%d,%d,%d,-;", uint64(r.Facility)<<3|uint64(r.Level), r.Seq, r.Usec)
	for _, c := range r.Msg {
		if c < ' ' || c >= 0x7f || c == '\\' {
			b = fmt.Appendf(b, `\x%02x`, c)
		} else {
			b = append(b, c)
		}
	}
	return append(b, '\n')
}

// chunkReader returns data in reads of 1+sizes[i] bytes in turn (as much
// as asked for when sizes is empty or the size byte is 0), and fails once
// with EPIPE, as /dev/kmsg does after an overrun, when epipeAt bytes have
// been read (never if negative).
type chunkReader struct {
	data    []byte
	sizes   []byte
	i       int
	epipeAt int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.epipeAt == 0 {
		c.epipeAt = -1
		return 0, &os.PathError{Op: "read", Path: "/dev/kmsg", Err: syscall.EPIPE}
	}
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(p)
	if len(c.sizes) > 0 {
		if s := c.sizes[c.i%len(c.sizes)]; s > 0 {
			n = min(n, 1+int(s))
		}
		c.i++
	}
	if c.epipeAt > 0 {
		n = min(n, c.epipeAt)
	}
	n = copy(p[:n], c.data)
	c.data = c.data[n:]
	if c.epipeAt > 0 {
		c.epipeAt -= n
	}
	return n, nil
}

// longRuns are lengths of a run of one byte that the line fuzz targets
// insert into their input, so that they reach the lengths where lines are
// cut or change path: Follow's read size, Each's buffer and MaxLine, and
// either side of them.
var longRuns = []int{
	64<<10 - 1, 64 << 10, 256<<10 - 1, 256 << 10, 256<<10 + 1,
	MaxLine - 2, MaxLine - 1, MaxLine, MaxLine + 1, MaxLine + 2, MaxLine + 256<<10}

// longFrom is the smallest long argument of withRun that inserts a run.
const longFrom = 200

// withRun inserts longRuns[long-longFrom] bytes fill at offset at of
// data; a smaller long inserts nothing, since inputs of a megabyte make
// the fuzzer slow. A newline fill would make a million empty lines; it is
// replaced by 'x'.
func withRun(data []byte, long uint8, at uint16, fill byte) []byte {
	if int(long) < longFrom {
		return data
	}
	n := longRuns[(int(long)-longFrom)%len(longRuns)]
	if fill == '\n' {
		fill = 'x'
	}
	i := int(at) % (len(data) + 1)
	out := make([]byte, 0, len(data)+n)
	out = append(out, data[:i]...)
	out = append(out, bytes.Repeat([]byte{fill}, n)...)
	return append(out, data[i:]...)
}

// refLines splits data into lines as Each and Follow promise: at each
// newline, a final piece without one being a line too, without the line
// ending (a CR before the newline included), cut to MaxLine.
func refLines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		line, rest, found := bytes.Cut(data, []byte{'\n'})
		if found {
			line = bytes.TrimSuffix(line, []byte{'\r'})
		}
		out = append(out, line[:min(len(line), MaxLine)])
		data = rest
	}
	return out
}

// FuzzEach exists because Each is how psad -A, CSV and benchmark modes
// and the stdin source read a whole log, lines longer than its buffer
// and MaxLine included: the lines must be those refLines finds, whatever
// the size of the reads; a read error must be returned after the lines
// read before it; and Each must stop as soon as fn asks it to.
func FuzzEach(f *testing.F) {
	f.Add([]byte("Mar  1 20:35:11 fw kernel: [ 2111.000123] DROP "+logLine+"\nMar  1 20:35:12 fw kernel: "+logLine+"\r\n\nlast"), uint8(0), uint16(0), byte(0), uint8(1), 1)
	f.Add([]byte("a\r\r\nb\rc\n\r"), uint8(0), uint16(0), byte(0), uint8(4), 0)
	f.Add([]byte("head\nshort\n"), uint8(204), uint16(5), byte('y'), uint8(3), 3)
	f.Add([]byte("\r\nend"), uint8(207), uint16(0), byte('z'), uint8(2), 2)
	f.Fuzz(func(t *testing.T, data []byte, long uint8, at uint16, fill byte, how uint8, stop int) {
		data = withRun(data, long, at, fill)
		want := refLines(data)

		boom := errors.New("disk gone")
		var got [][]byte
		err := Each(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)), func(l []byte) bool { got = append(got, bytes.Clone(l)); return true })
		if !errors.Is(err, boom) || !slices.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("lines, then read error: got %v, want %v\n got  %s\n want %s", err, boom, fmtLines(got), fmtLines(want))
		}

		// The same lines at other read sizes. A byte a read is slow for
		// a megabyte.
		var r io.Reader
		switch how % 5 {
		case 0:
			r = bytes.NewReader(data)
		case 1:
			r = iotest.HalfReader(bytes.NewReader(data))
		case 2:
			r = iotest.DataErrReader(bytes.NewReader(data))
		case 3:
			r = &chunkReader{data: data, sizes: []byte{200, 50, 0, 255, 1}, epipeAt: -1}
		case 4:
			r = bytes.NewReader(data)
			if len(data) < 64<<10 {
				r = iotest.OneByteReader(r)
			}
		}
		got = got[:0]
		err = Each(r, func(l []byte) bool { got = append(got, bytes.Clone(l)); return true })
		if err != nil || !slices.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("lines, reader %d: %v\n got  %s\n want %s", how%5, err, fmtLines(got), fmtLines(want))
		}

		if len(want) > 0 {
			stop = int(uint(stop) % uint(len(want)))
			calls := 0
			err := Each(bytes.NewReader(data), func([]byte) bool { calls++; return calls <= stop })
			if err != nil || calls != stop+1 {
				t.Errorf("stop: fn called %d times, %v; want %d times, as it returned false on call %d", calls, err, stop+1, stop+1)
			}
		}
	})
}

// FuzzFollowConsume exists because Follow hands out the lines of a log
// file that others write, with the position after each line that the
// daemon stores to resume: wherever the reads split the file, the lines
// must be those refLines finds, the first one dropped when Follow started
// in the middle of it, each with the offset just past its newline; and
// the offset, the held partial line and the skip state left for the next
// read must match the file.
func FuzzFollowConsume(f *testing.F) {
	f.Add([]byte("Mar  1 20:35:11 fw kernel: "+logLine+"\nMar  1 20:35:12 fw kernel: "+logLine+"\r\npartial"), []byte{}, uint32(0), false, uint8(0), uint16(0), byte(0))
	f.Add([]byte("tail of a line\nnext\r\n\r\n\nheld"), []byte{3, 0, 9, 1}, uint32(4096), true, uint8(0), uint16(0), byte(0))
	f.Add([]byte("a\nb\n"), []byte{200, 0}, uint32(17), false, uint8(206), uint16(2), byte('\r'))
	f.Add([]byte("\r\nx"), []byte{255}, uint32(1), true, uint8(208), uint16(0), byte('q'))
	f.Fuzz(func(t *testing.T, data, sizes []byte, start uint32, skip bool, long uint8, at uint16, fill byte) {
		data = withRun(data, long, at, fill)
		var lines [][]byte
		var pos []Pos
		fl := &follower{id: fileID{dev: 8, ino: 42}, off: int64(start), skip: skip}
		fl.sink = func(l []byte, p Pos) {
			lines = append(lines, bytes.Clone(l))
			pos = append(pos, p)
		}
		for i, rest := 0, data; len(rest) > 0; i++ {
			n := len(rest)
			if len(sizes) > 0 {
				if s := sizes[i%len(sizes)]; s > 0 {
					n = min(n, int(s))
				}
			}
			if !fl.consume(rest[:n]) {
				t.Fatal("consume reported a cancellation")
			}
			rest = rest[n:]
		}

		var want [][]byte
		var wantPos []Pos
		off, skipLeft := int64(start), skip
		rest := data
		for {
			line, after, found := bytes.Cut(rest, []byte{'\n'})
			if !found {
				break
			}
			off += int64(len(line) + 1)
			rest = after
			if skipLeft {
				skipLeft = false
				continue
			}
			line = bytes.TrimSuffix(line, []byte{'\r'})
			want = append(want, line[:min(len(line), MaxLine)])
			wantPos = append(wantPos, Pos{8, 42, off})
		}
		if !slices.EqualFunc(lines, want, bytes.Equal) || !slices.Equal(pos, wantPos) {
			t.Errorf("lines, reads of %v from %d, skip %v:\n got  %s %v\n want %s %v", sizes, start, skip, fmtLines(lines), pos, fmtLines(want), wantPos)
		}
		held := rest[:min(len(rest), MaxLine+1)]
		if fl.off != off+int64(len(rest)) || !bytes.Equal(fl.pending, held) || fl.skip != skipLeft {
			t.Errorf("state, reads of %v from %d, skip %v: off %d, held %.40q (%d bytes), skip %v; want %d, %.40q (%d bytes), %v",
				sizes, start, skip, fl.off, fl.pending, len(fl.pending), fl.skip, off+int64(len(rest)), held, len(held), skipLeft)
		}
	})
}

// fmtLines shows lines, long ones by their length and ends.
func fmtLines(ls [][]byte) string {
	var s []string
	for _, l := range ls {
		if len(l) > 60 {
			s = append(s, fmt.Sprintf("%q...(%d bytes)...%q", l[:20], len(l), l[len(l)-20:]))
		} else {
			s = append(s, strconv.Quote(string(l)))
		}
	}
	return "[" + strings.Join(s, " ") + "]"
}
