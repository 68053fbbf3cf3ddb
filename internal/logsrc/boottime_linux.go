package logsrc

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

// BootTime returns the wall-clock time at which the kernel's log clock
// read zero, to turn [KmsgRecord.Usec] into a time. The kernel stamps
// records with its local clock, which like CLOCK_MONOTONIC does not
// advance during suspend; /proc/uptime (CLOCK_BOOTTIME) would drift by
// the time spent suspended. Call it again after a resume or a clock step.
func BootTime() (time.Time, error) {
	var ts syscall.Timespec
	const clockMonotonic = 1
	now := time.Now()
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return time.Time{}, fmt.Errorf("boot time: clock_gettime: %w", e)
	}
	return now.Add(-time.Duration(ts.Nano())), nil
}
