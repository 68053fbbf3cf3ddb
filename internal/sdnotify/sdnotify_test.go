package sdnotify

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestSendAndWatchdog(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if ok, err := Send("READY=1"); ok || err != nil {
		t.Fatalf("without a socket: %v %v", ok, err)
	}
	path := filepath.Join(t.TempDir(), "notify")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	if ok, err := Send("READY=1"); !ok || err != nil {
		t.Fatalf("Send: %v %v", ok, err)
	}
	buf := make([]byte, 64)
	l.SetReadDeadline(time.Now().Add(time.Second))
	n, _, err := l.ReadFromUnix(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Fatalf("received %q, %v", buf[:n], err)
	}
	t.Setenv("WATCHDOG_USEC", "20000000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	if d := WatchdogInterval(); d != 10*time.Second {
		t.Errorf("WatchdogInterval = %v", d)
	}
	// A period no Duration holds would wrap to a negative one.
	t.Setenv("WATCHDOG_USEC", "9223372036854775")
	if d := WatchdogInterval(); d <= 0 {
		t.Errorf("the longest period: %v", d)
	}
	t.Setenv("WATCHDOG_USEC", "9223372036854776")
	if d := WatchdogInterval(); d != 0 {
		t.Errorf("a period longer than a Duration: %v", d)
	}
	t.Setenv("WATCHDOG_PID", "1")
	if d := WatchdogInterval(); d != 0 {
		t.Errorf("watchdog for another pid: %v", d)
	}
}
