//go:build !linux

package syslogd

import "net"

// oobSize is zero: only Linux reports dropped datagrams here.
const oobSize = 0

// udpReceiveSetup does nothing where SO_RXQ_OVFL and SO_RCVBUFFORCE are
// unknown; the system's buffer applies and drops are not counted.
func udpReceiveSetup(*net.UDPConn) error { return nil }

func dropCount([]byte) (uint32, bool) { return 0, false }
