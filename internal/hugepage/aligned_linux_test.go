package hugepage

import (
	"testing"
	"unsafe"
)

// TestAlignedIsLargestAlignedPart checks the offsets over slices that
// start at every 4 KB step of a huge page.
func TestAlignedIsLargestAlignedPart(t *testing.T) {
	buf := make([]byte, 12<<20)
	for off := 0; off < pageSize; off += 4096 {
		for _, n := range []int{0, 4096, pageSize - 1, pageSize, pageSize + 4096, 2*pageSize + 12345, 5 << 20} {
			mem := buf[off : off+n]
			start, end := aligned(mem)
			base := uintptr(unsafe.Pointer(unsafe.SliceData(buf))) + uintptr(off)
			if start == end {
				// No aligned huge page fits: the next boundary plus one
				// page passes the end.
				next := (base + pageSize - 1) &^ (pageSize - 1)
				if next+pageSize <= base+uintptr(n) {
					t.Errorf("off %d len %d: no aligned part, but %#x-%#x fits", off, n, next, next+pageSize)
				}
				continue
			}
			if (base+uintptr(start))%pageSize != 0 || (end-start)%pageSize != 0 {
				t.Errorf("off %d len %d: %d-%d is not aligned", off, n, start, end)
			}
			if start >= pageSize || n-end >= pageSize || start < 0 || end > n {
				t.Errorf("off %d len %d: %d-%d is not the largest aligned part", off, n, start, end)
			}
		}
	}
}
