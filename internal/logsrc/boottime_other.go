//go:build !linux

package logsrc

import (
	"errors"
	"time"
)

// BootTime is only known on Linux, the only system with /dev/kmsg.
func BootTime() (time.Time, error) {
	return time.Time{}, errors.New("boot time: not supported on this system")
}
