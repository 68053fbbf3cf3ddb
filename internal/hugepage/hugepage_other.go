//go:build !linux

package hugepage

// Heap does nothing where there is no madvise(MADV_HUGEPAGE).
func Heap(n int) {}

// Region is nothing where there is no madvise(MADV_HUGEPAGE).
type Region struct{}

// Reserve returns nil where there is no madvise(MADV_HUGEPAGE).
func Reserve(n int) *Region { return nil }

// Advise does nothing.
func (r *Region) Advise(on bool) {}
