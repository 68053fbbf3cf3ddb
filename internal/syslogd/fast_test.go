package syslogd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"testing"
	"testing/iotest"
	"time"
)

// FuzzFastRecord guards the listener's fast reading of the common shape:
// wherever it accepts a message, go-syslog's machine must read the same
// stamp, host, tag and message from it. Where it declines, parse uses the
// machine anyway, so declining is always safe.
func FuzzFastRecord(f *testing.F) {
	for _, s := range []string{
		"<4>Mar  1 20:35:11 fw kernel: " + logText,
		"<4>Mar 01 20:35:11 fw kernel: DROP IN=eth0",
		"<4>Mar  1 20:35:11 fw kernel:DROP IN=eth0",
		"<4>Mar  1 20:35:11 fw kernel:  DROP IN=eth0",
		"<4>Mar  1 20:35:11 fw kernel[12]: DROP IN=eth0",
		"<4>Mar  1 20:35:11 fw kernel: ",
		"<4>Mar  1 20:35:11 fw kernel DROP",
		"<4>Mar  1 20:35:11 fw.example.com kernel: x",
		"<4>Mar  1 20:35:11 kernel: x",
		"<192>Mar  1 20:35:11 fw kernel: x",
		"<191>Feb 29 23:59:59 fw kernel: x",
		"<0>Dec 31 00:00:00 fw kernel: x",
		"<04>Mar  1 20:35:11 fw kernel: x",
		"<4>Mar  1 24:35:11 fw kernel: x",
		"<4>Feb 30 20:35:11 fw kernel: x",
		"<4>Mar  1 20:35:11 fw ker_nel-1.x: x",
		"<4>Mar  1 20:35:11 fw abcdefghijabcdefghijabcdefghijab: x",
		"<4>Mar  1 20:35:11 fw abcdefghijabcdefghijabcdefghijabc: x",
		"<4>Mar  1 20:35:11 fw kernel: x\\y\"z{}[]",
		"<4>Mar  1 20:35:11  fw kernel: x",
		"<4>Mar  1 20:35:11 fw kernel: x:y: z",
		"<4>Mar  1 20:35:11 f@w kernel: x",
		"<4>Mar  1 20:35:11 fw kernel[]: x",
		"<13>Mar  1 20:35:11 fw logger: DROP IN=eth0",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, host, tag, msg, ok := fastRecord(b)
		if !ok {
			return
		}
		r, err := newParser().parse(b)
		if err != nil || !r.ts.Equal(ts) || r.host != string(host) || r.tag != string(tag) || r.msg != string(msg) {
			t.Fatalf("%q:\n fast    %v %q %q %q\n machine %v %q %q %q, %v", b, ts, host, tag, msg, r.ts, r.host, r.tag, r.msg, err)
		}
	})
}

// BenchmarkMessage is the listener's work for one kernel message once
// read: parsing it and writing the line the daemon reads, by fastRecord
// and by go-syslog's machine (the other shapes, and before fastRecord).
func BenchmarkMessage(b *testing.B) {
	msg := []byte("<4>Mar  1 20:35:11 fw kernel: " + logText)
	s := &Server{tags: map[string]bool{"kernel": true}, now: func() time.Time { return testNow }, loc: testLoc}
	sink := func([]byte) {}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		var line []byte
		for range b.N {
			var ok bool
			if line, ok = s.deliverFast(line, msg, "192.0.2.1", sink); !ok {
				b.Fatal("not read by fastRecord")
			}
		}
	})
	b.Run("machine", func(b *testing.B) {
		b.ReportAllocs()
		p := newParser()
		var line []byte
		for range b.N {
			r, err := p.parse(msg)
			if err != nil {
				b.Fatal(err)
			}
			line = s.deliver(line, r, "192.0.2.1", sink)
		}
	})
}

// FuzzReadOctets guards the octet-counted framing of TCP and TLS streams:
// whatever the stream and however it arrives in reads, readOctets must
// return the frames refOctets finds over the whole input, then the same
// kind of end (a clean end, a stream cut inside a frame, a frame too
// long, a bad count). A framer out of step would let one sender's bytes
// become another message.
func FuzzReadOctets(f *testing.F) {
	f.Add([]byte("5 <4>ab12 <4>Mar 1 fw\n3 abc"), uint8(0))
	f.Add([]byte("0 <4>"), uint8(1))
	f.Add([]byte("\r\n\n7 abcdefg\n"), uint8(2))
	f.Add([]byte("12 garbagegarbage"), uint8(1))
	f.Add([]byte("99999999999999999999 x"), uint8(0))
	f.Add([]byte("3 ab"), uint8(2))
	f.Add([]byte("03 abc"), uint8(0))
	f.Add([]byte("3abc"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, how uint8) {
		const max = 64
		var r io.Reader = bytes.NewReader(data)
		switch how % 3 {
		case 1:
			r = iotest.OneByteReader(r)
		case 2:
			r = iotest.HalfReader(r)
		}
		br := bufio.NewReaderSize(r, max+2)
		var got []string
		var end error
		for {
			b, err := readOctets(br, max)
			if err != nil {
				end = err
				break
			}
			got = append(got, string(b))
		}
		want, wantEnd := refOctets(data, max)
		if !slices.Equal(got, want) || kind(end) != wantEnd {
			t.Fatalf("%q: got %q, end %v (%s); want %q, end %s", data, got, end, kind(end), want, wantEnd)
		}
	})
}

// refOctets splits data by RFC 6587 3.4.1 as readOctets documents it.
func refOctets(data []byte, max int) (frames []string, end string) {
	for {
		for len(data) > 0 && (data[0] == '\n' || data[0] == '\r') {
			data = data[1:]
		}
		if len(data) == 0 {
			return frames, "eof"
		}
		sp := bytes.IndexByte(data, ' ')
		count := data
		if sp >= 0 {
			count = data[:sp]
		}
		for i, c := range count {
			if c < '0' || c > '9' || i == 0 && c == '0' {
				return frames, "bad count"
			}
			if n, _ := strconv.Atoi(string(count[:i+1])); n > max || i > 3 {
				return frames, "too long"
			}
		}
		if sp < 0 {
			return frames, "cut"
		}
		if sp == 0 {
			return frames, "bad count"
		}
		n, _ := strconv.Atoi(string(count))
		if len(data)-sp-1 < n {
			return frames, "cut"
		}
		frames = append(frames, string(data[sp+1:sp+1+n]))
		data = data[sp+1+n:]
	}
}

func kind(err error) string {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "cut"
	case errors.Is(err, io.EOF):
		return "eof"
	case errors.Is(err, errTooLong):
		return "too long"
	case err != nil:
		return "bad count"
	}
	return "none"
}
