package hugepage

import "unsafe"

// Size is the huge page size of amd64 and of arm64 with 4 KB pages.
const Size = 2 << 20

// Aligned returns the offsets in mem of its largest Size-aligned part,
// start == end when it holds none.
func Aligned(mem []byte) (start, end int) {
	if len(mem) == 0 {
		return 0, 0
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	first := (base + Size - 1) &^ (Size - 1)
	last := (base + uintptr(len(mem))) &^ (Size - 1)
	if last <= first {
		return 0, 0
	}
	return int(first - base), int(last - base)
}
