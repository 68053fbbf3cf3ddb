//go:build !linux

package psaddir

import "golang.org/x/sys/unix"

// exchange is Linux's renameat2 RENAME_EXCHANGE; elsewhere SourceDir
// renames the spare over the file.
func exchange(int, string, string) error { return unix.ENOTSUP }
