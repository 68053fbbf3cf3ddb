package hugepage

import "unsafe"

// pageSize is the huge page size of amd64 and of arm64 with 4 KB pages.
const pageSize = 2 << 20

// aligned returns the offsets in mem of its largest pageSize-aligned part,
// start == end when it holds none.
func aligned(mem []byte) (start, end int) {
	if len(mem) == 0 {
		return 0, 0
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	first := (base + pageSize - 1) &^ (pageSize - 1)
	last := (base + uintptr(len(mem))) &^ (pageSize - 1)
	if last <= first {
		return 0, 0
	}
	return int(first - base), int(last - base)
}
