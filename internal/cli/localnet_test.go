package cli

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/localnet"
)

// daemonFWD is a forwarded SYN: a FORWARD-chain packet's source is
// marked local when it lies inside HOME_NET.
const daemonFWD = "%s fw kernel: DROP IN=eth0 OUT=eth1 SRC=%s DST=198.51.100.7 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0 \n"

// TestDaemonHomeNetFromInterfaces: with ENABLE_INTF_LOCAL_NETS Y (psad's
// default) the daemon's HOME_NET is this host's connected networks, so a
// forwarded packet from inside one of them marks its source local and
// one from elsewhere does not. It uses the host's real interfaces.
func TestDaemonHomeNetFromInterfaces(t *testing.T) {
	nets, err := localnet.Connected()
	if err != nil {
		t.Fatal(err)
	}
	var inside netip.Addr
	for _, p := range nets {
		if p.Addr().Is4() && p.Bits() <= 30 {
			inside = p.Addr().Next()
			break
		}
	}
	if !inside.IsValid() {
		t.Skipf("this host has no IPv4 network but loopback (%v): nothing to derive HOME_NET from", nets)
	}
	outside := netip.MustParseAddr("203.0.113.77")
	for _, p := range nets {
		if p.Contains(outside) {
			t.Skipf("this host is connected to %s, the test's outside network", p)
		}
	}
	e, logPath, sl := syslogDaemonEnv(t, map[string]string{
		"CHECK_INTERVAL": "1", "ENABLE_INTF_LOCAL_NETS": "Y", "ALERTING_METHODS": "noemail"}, "")
	var errb syncBuffer
	startDaemon(t, e.conf, Env{Stderr: &errb}, "--no-daemon")
	ts := time.Now().Format("Jan _2 15:04:05")
	var lines []string
	for p := 0; p < 6; p++ {
		lines = append(lines, fmt.Sprintf(daemonFWD, ts, inside, 1000+p), fmt.Sprintf(daemonFWD, ts, outside, 1000+p))
	}
	appendLines(t, logPath, lines...)
	waitFor(t, "both sources' syslog lines", func() bool {
		return sl.find("scan detected (Nmap -sT or -sS scan): "+inside.String()) != "" &&
			sl.find("scan detected (Nmap -sT or -sS scan): "+outside.String()) != ""
	})
	st, _, code := e.run(t, "-S")
	if code != 0 {
		t.Fatalf("-S: exit %d\n%s", code, st)
	}
	srcLine := func(a netip.Addr) string {
		for _, l := range strings.Split(st, "\n") {
			if strings.HasPrefix(l, "SRC:  "+a.String()+",") {
				return l
			}
		}
		t.Fatalf("no SRC line for %s in -S:\n%s", a, st)
		return ""
	}
	if l := srcLine(inside); !strings.HasSuffix(l, ", Local IP") {
		t.Errorf("source %s inside a connected network is not local: %q", inside, l)
	}
	if l := srcLine(outside); strings.Contains(l, "Local IP") {
		t.Errorf("source %s outside the connected networks is local: %q", outside, l)
	}
	if !strings.Contains(errb.String(), "HOME_NET is the connected networks") {
		t.Errorf("the derived HOME_NET is not logged:\n%s", errb.String())
	}
}

// TestDaemonHomeNetWarnings: with ENABLE_INTF_LOCAL_NETS N the daemon
// keeps psad.conf's HOME_NET and says in syslog, as psad does, which of
// its networks this host is not connected to.
func TestDaemonHomeNetWarnings(t *testing.T) {
	e, _, sl := syslogDaemonEnv(t, map[string]string{
		"HOME_NET": "203.0.113.0/24, 198.51.100.9", "ALERTING_METHODS": "noemail"}, "")
	startDaemon(t, e.conf, Env{}, "--no-daemon")
	waitFor(t, "the start-up syslog line", func() bool { return sl.find("starting up psad") != "" })
	for _, net := range []string{"203.0.113.0/24", "198.51.100.9"} {
		want := `config warning: HOME_NET definition in psad.conf contains "` + net + `" which does not appear to be directly connected to the local system.`
		if sl.find(want) == "" {
			t.Errorf("no syslog line %q", want)
		}
	}
}
