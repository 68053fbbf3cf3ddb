//go:build !linux

package hugepage

// Heap does nothing where there is no madvise(MADV_HUGEPAGE).
func Heap(n int) {}
