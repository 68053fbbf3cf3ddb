//go:build unix

package logsrc

import (
	"os"
	"syscall"
)

// idOf returns the device and inode of fi, which tell a rotated or
// replaced file from the one being read.
func idOf(fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileID{}
}
