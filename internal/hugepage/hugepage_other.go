//go:build !linux

package hugepage

// Advise does nothing where there is no madvise(MADV_HUGEPAGE).
func Advise(mem []byte) {}

// Heap does nothing where there is no madvise(MADV_HUGEPAGE).
func Heap(n int) {}
