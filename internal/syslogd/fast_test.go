package syslogd

import (
	"testing"
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
