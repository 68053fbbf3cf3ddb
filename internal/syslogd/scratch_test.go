package syslogd

import (
	"fmt"
	"testing"

	syslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/auto"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"
)

func dump(m syslog.Message, err error) string {
	if m == nil {
		return fmt.Sprintf("nil err=%v", err)
	}
	var b *syslog.Base
	switch x := m.(type) {
	case *rfc3164.SyslogMessage:
		b = &x.Base
	case *rfc5424.SyslogMessage:
		b = &x.Base
	}
	s := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%q", *p)
	}
	ts := "<nil>"
	if b.Timestamp != nil {
		ts = b.Timestamp.String()
	}
	return fmt.Sprintf("%T ts=%s host=%s app=%s pid=%s msg=%s err=%v", m, ts, s(b.Hostname), s(b.Appname), s(b.ProcID), s(b.Message), err)
}

func TestScratch(t *testing.T) {
	in := []string{
		"<4>Mar 11 20:35:11 host1 kernel: [463490.251762] DROP IN=eth0 OUT= SRC=1.2.3.4",
		"<4>Mar  1 20:35:11 host1 kernel: DROP IN=eth0\n",
		"<4>Mar 01 20:35:11 host1 kernel: DROP IN=eth0",
		"<4>Mar 11 20:35:11 kernel: DROP IN=eth0",
		"<4>Mar 11 20:35:11.123456 host1 kernel: DROP IN=eth0",
		"<4>2015-03-07T05:09:30.045015+02:00 host3 kernel: DROP IN=eth0",
		"<4>kernel: DROP IN=eth0",
		"<13>Mar 11 20:35:11 host hello world",
		"<13>Mar 11 20:35:11 host sshd[123]: hello\nworld",
		"<4>1 2015-03-07T05:09:30.045015+02:00 host7 kernel - - - DROP IN=eth0",
		"<4>1 2015-03-07T05:09:30.045015+02:00 host7 kernel - - - \xef\xbb\xbfDROP IN=eth0",
		"<4>1 - - kernel - - - DROP IN=eth0",
		"<4>1 2015-03-07T05:09:30Z host7 kernel - - [x@1 a=\"b\"] DROP\nIN=eth0",
		"<4>1 2015-03-07T05:09:30Z host7 kernel - -",
		"<4>1 2015-03-07T05:09:30Z host7 kernel - - -\n",
		"garbage",
		"\x00\x01\x02",
		"<999>x",
		"<4>",
	}
	opts3164 := []syslog.MachineOption{rfc3164.WithRFC3339(), rfc3164.WithSecondFractions(), rfc3164.WithLenientDay(), rfc3164.WithEmbeddedNewlines()}
	m3 := rfc3164.NewMachine(opts3164...)
	m3be := rfc3164.NewMachine(append(opts3164, rfc3164.WithBestEffort())...)
	m5 := rfc5424.NewMachine()
	am := auto.NewMachine(auto.WithRFC3164Options(opts3164...))
	for _, s := range in {
		t.Logf("IN %q", s)
		t.Logf("  3164  %s", dump(m3.Parse([]byte(s))))
		t.Logf("  3164be %s", dump(m3be.Parse([]byte(s))))
		t.Logf("  5424  %s", dump(m5.Parse([]byte(s))))
		t.Logf("  auto  %s", dump(am.Parse([]byte(s))))
	}
}
