package psaddir

import "golang.org/x/sys/unix"

// exchange swaps the files a and b of the directory dirfd atomically.
func exchange(dirfd int, a, b string) error {
	return unix.Renameat2(dirfd, a, dirfd, b, unix.RENAME_EXCHANGE)
}
