//go:build linux

package syslogd

import (
	"encoding/binary"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// udpBuffer is the UDP socket's receive buffer. The default (212 KB
// here) held some 400 datagrams: a firewall relaying a flood at 226,000
// datagrams a second over loopback lost 14% of them while the reader was
// busy. With SO_RCVBUFFORCE (root) the size is not capped by
// net.core.rmem_max.
const udpBuffer = 16 << 20

// oobSize holds the one control message asked for: SO_RXQ_OVFL's count.
var oobSize = unix.CmsgSpace(4)

// udpReceiveSetup enlarges the socket's receive buffer and asks the
// kernel to report with each datagram how many it has dropped, so that a
// loss is counted (Stats.Dropped) rather than silent.
func udpReceiveSetup(c *net.UDPConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("UDP socket: %w", err)
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, udpBuffer); e != nil {
			// Not root: as much as net.core.rmem_max allows.
			if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, udpBuffer); e != nil {
				serr = fmt.Errorf("UDP receive buffer: %w", e)
			}
		}
		if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1); e != nil && serr == nil {
			serr = fmt.Errorf("UDP drop counter (SO_RXQ_OVFL): %w", e)
		}
	})
	if err != nil {
		return fmt.Errorf("UDP socket: %w", err)
	}
	return serr
}

// dropCount finds SO_RXQ_OVFL's count in a datagram's control messages.
// The kernel attaches it only once it has dropped a datagram, so the
// parsing (which allocates) is rare.
func dropCount(oob []byte) (uint32, bool) {
	if len(oob) == 0 {
		return 0, false
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_RXQ_OVFL && len(m.Data) >= 4 {
			return binary.NativeEndian.Uint32(m.Data), true
		}
	}
	return 0, false
}
