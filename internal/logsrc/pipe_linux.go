package logsrc

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// pipeSize is what GrowPipe asks for: the default pipe-max-size, the
// most an unprivileged process may set.
const pipeSize = 1 << 20

// GrowPipe gives r, when it is a pipe, a buffer of at least 1 MB
// instead of the kernel's 64 KB, and returns the size it now has (0 when
// r is not a pipe or the kernel refused, which changes nothing else).
// Why: a 64 KB pipe made `cat log | psad -A --stdin` take its input in
// 4,000 small reads, each a wake-up of the writer; with 1 MB the 1M-line
// log took a median 1.15 s against 1.25 s (A B B A, 4 rounds).
func GrowPipe(r io.Reader) int {
	f, ok := r.(*os.File)
	if !ok {
		return 0
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return 0
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	_ = sc.Control(func(fd uintptr) {
		// A pipe its writer made larger is left as it is.
		if n, err = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0); err == nil && n < pipeSize {
			n, err = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize)
		}
	})
	if err != nil {
		return 0
	}
	return n
}
