package syslogd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestStampTime(t *testing.T) {
	stamp := func(mon time.Month, day, h int) time.Time {
		return time.Date(0, mon, day, h, 0, 0, 0, time.UTC) // as go-syslog returns RFC 3164 stamps
	}
	now := time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC) // 02:30 in testLoc
	for _, tc := range []struct {
		name string
		ts   time.Time
		want string
	}{
		{"none", time.Time{}, "2024-01-01T02:30:00.000000+02:00"},
		{"own zone kept", time.Date(2015, 3, 7, 5, 9, 30, 45015000, time.FixedZone("", -5*3600)), "2015-03-07T05:09:30.045015-05:00"},
		{"this year", stamp(time.January, 1, 1), "2024-01-01T01:00:00.000000+02:00"},
		{"within a day ahead", stamp(time.January, 2, 1), "2024-01-02T01:00:00.000000+02:00"},
		{"new year's eve", stamp(time.December, 31, 23), "2023-12-31T23:00:00.000000+02:00"},
		{"29 February in a leap year", stamp(time.February, 29, 12), "2020-02-29T12:00:00.000000+02:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stampTime(tc.ts, now, testLoc).Format(lineLayout); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	p := newParser()
	for _, tc := range []struct {
		in, host, tag, msg string
		ts                 string // RFC 3339, "" for none
	}{
		{in: "<4>2015-03-07T05:09:30.045015+02:00 fw kernel: a b", ts: "2015-03-07T05:09:30.045015+02:00", host: "fw", tag: "kernel", msg: "a b"},
		{in: "<4>2015-03-07T05:09:30.1Z fw kernel: x\r\n", ts: "2015-03-07T05:09:30.1Z", host: "fw", tag: "kernel", msg: "x"},
		{in: "<4>1 - - kernel - - - \xef\xbb\xbfx", tag: "kernel", msg: "x"},
		{in: "<4>1 2015-03-07T05:09:30Z fw kernel - - -\n", ts: "2015-03-07T05:09:30Z", host: "fw", tag: "kernel"},
	} {
		r, err := p.parse([]byte(tc.in))
		if err != nil {
			t.Errorf("parse(%q): %v", tc.in, err)
			continue
		}
		var want time.Time
		if tc.ts != "" {
			want, _ = time.Parse(time.RFC3339Nano, tc.ts)
		}
		if !r.ts.Equal(want) || r.host != tc.host || r.tag != tc.tag || r.msg != tc.msg {
			t.Errorf("parse(%q) = %+v", tc.in, r)
		}
	}
	for _, in := range []string{"", "\n", "x", "<4>", "<4>1 ", "<4>2015-03-07T05:09:30.x+02:00 fw kernel: x", "<4>Mar 11 20:35:11 fw kernel: \x00"} {
		if r, err := p.parse([]byte(in)); err == nil {
			t.Errorf("parse(%q) = %+v, want error", in, r)
		}
	}
}

// FuzzParse checks the message parsing and line rendering of this package
// (go-syslog's machines are fuzzed upstream): no panic, a parser reused
// across messages agrees with a fresh one, and every accepted message
// becomes exactly one line that psad's header pattern reads as
// "timestamp host kernel: message".
func FuzzParse(f *testing.F) {
	for _, m := range kernelMessages {
		f.Add([]byte(m.msg))
	}
	f.Add([]byte(forwardFormat.msg))
	f.Add([]byte("<13>1 2015-03-07T05:09:30Z fw1 logger - - - x\ny"))
	f.Add([]byte("<4>2015-03-07T05:09:30.123456789+14:00 fw kernel: \r\x7f"))
	reused := newParser()
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := reused.parse(b)
		r2, err2 := newParser().parse(b)
		if (err == nil) != (err2 == nil) || !r.ts.Equal(r2.ts) || r.host != r2.host || r.tag != r2.tag || r.msg != r2.msg {
			t.Fatalf("reused parser: %+v, %v; fresh parser: %+v, %v", r, err, r2, err2)
		}
		if err != nil {
			return
		}
		line := appendLine(nil, r, testNow, testLoc, "192.0.2.1")
		for _, c := range line {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("control byte %#x in %q", c, line)
			}
		}
		stamp, rest, _ := bytes.Cut(line, []byte(" "))
		if _, err := time.Parse(time.RFC3339Nano, string(stamp)); err != nil || len(stamp) != len(lineLayout) {
			t.Fatalf("timestamp %q in %q: %v", stamp, line, err)
		}
		host, rest, _ := bytes.Cut(rest, []byte(" "))
		if len(host) == 0 || !bytes.HasPrefix(rest, []byte("kernel: ")) {
			t.Fatalf("no host and kernel tag in %q", line)
		}
		if got := rest[len("kernel: "):]; len(got) != len(r.msg) {
			t.Fatalf("message %q became %q", r.msg, got)
		}
	})
}

// FuzzReadLine compares readLine with splitting the whole input at LF.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("<4>a\n\r\n<4>b\r\n<4>c"), uint8(8))
	f.Add([]byte("short\nthis one is too long\nnot reached\n"), uint8(10))
	f.Add([]byte(strings.Repeat("x", 40)+"\n"), uint8(30))
	f.Fuzz(func(t *testing.T, data []byte, max8 uint8) {
		max := int(max8) + 1
		var want [][]byte
		tooLong := false
		for _, piece := range bytes.SplitAfter(data, []byte("\n")) {
			piece = trimEOL(piece)
			if len(piece) > max {
				tooLong = true
				break
			}
			if len(piece) > 0 {
				want = append(want, piece)
			}
		}
		br := bufio.NewReaderSize(bytes.NewReader(data), max+2)
		for i := 0; ; i++ {
			got, err := readLine(br, max)
			if err != nil {
				switch {
				case i != len(want):
					t.Fatalf("error %v after %d frames, want %d frames", err, i, len(want))
				case tooLong && !errors.Is(err, errTooLong), !tooLong && err != io.EOF:
					t.Fatalf("error %v, too long: %v", err, tooLong)
				}
				return
			}
			if i >= len(want) || !bytes.Equal(got, want[i]) {
				t.Fatalf("frame %d = %q, want %q", i, got, want)
			}
		}
	})
}
