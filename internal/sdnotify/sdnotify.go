// Package sdnotify speaks systemd's notify protocol (sd_notify(3)): a
// datagram such as "READY=1" to the socket named by $NOTIFY_SOCKET. It
// replaces psad's psadwatchd: with Type=notify and WatchdogSec= systemd
// itself restarts a daemon that stops answering.
package sdnotify

import (
	"math"
	"net"
	"os"
	"strconv"
	"time"
)

// Send sends state (e.g. "READY=1", "RELOADING=1", "STOPPING=1",
// "WATCHDOG=1") to systemd. It reports false, with no error, when the
// process was not started by systemd with a notify socket.
func Send(state string) (bool, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	if path[0] == '@' { // abstract namespace
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return false, err
	}
	return true, nil
}

// WatchdogInterval returns how often to send "WATCHDOG=1": half of
// $WATCHDOG_USEC, or 0 when systemd watches nothing (or watches another
// process, per $WATCHDOG_PID).
func WatchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 || usec > math.MaxInt64/int64(time.Microsecond) {
		return 0 // none, or longer than a Duration holds: as good as none
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}
