package hugepage

import (
	"cmp"
	"os"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"unsafe"
)

// adviseRange asks for huge pages on the pageSize-aligned part of
// [lo, hi), before its first write; the rest keeps ordinary pages. It
// is a hint: a kernel without transparent huge pages, or with them set
// to "never", leaves the memory as it was, and so does a failure.
func adviseRange(lo, hi uintptr) { madviseRange(lo, hi, syscall.MADV_HUGEPAGE) }

// madviseRange gives advice adv to the pageSize-aligned part of [lo, hi).
func madviseRange(lo, hi, adv uintptr) {
	lo = (lo + pageSize - 1) &^ (pageSize - 1)
	hi &^= pageSize - 1
	if lo < hi {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, adv)
	}
}

// pageSize is the huge page size of amd64 and of arm64 with 4 KB pages.
const pageSize = 2 << 20

// Heap makes the next n bytes the Go heap grows by ask for huge pages,
// for a process about to fill that much. It allocates n bytes without
// touching them (fresh heap memory needs no zeroing), advises them and
// frees them with a collection, which costs little this early. The
// runtime then zeroes what it places there, which fresh memory would
// have spared; clearing 320 MB took 13 ms here, against the 0.6 s the
// huge pages save.
//
// The n bytes are taken in chunks: the runtime zeroes a whole
// allocation when any of it lies in memory it used before, and a single
// object that began in the freed top of the heap was zeroed, and so
// made resident, all of it. Now only the chunks that overlap such
// memory (this early, a few megabytes of it) are, and what they make
// resident the run fills anyway.
//
// Why it works: the runtime maps heap memory once and never remaps it
// (unless GODEBUG=harddecommit=1), the advice stays on the mapping after
// the object is gone, and the page allocator hands out the lowest free
// addresses first, so the objects that follow fill the advised range.
// Were a runtime to do otherwise, only the speed would be lost; the
// package's test says so first.
//
// It does nothing unless THP is in "madvise" mode ("always" gives the
// heap huge pages anyway, "never" none) and the kernel overcommits:
// under strict accounting (vm.overcommit_memory=2) the n bytes would be
// charged as if used, and the runtime dies when a mapping is refused.
// n is capped at a quarter of the machine's memory, and a 32-bit
// process, whose address space that could exhaust, sets nothing aside.
// PSAD_HUGEPAGES=off in the environment turns it off (see heapCap).
func Heap(n int) {
	if n = capped(n); n > 0 {
		setAside(n, true)
	}
}

// capped is n cut to what Heap may set aside here (see there), or 0.
func capped(n int) int {
	if strconv.IntSize < 64 {
		return 0
	}
	n = min(n, heapCap(readSmall("/sys/kernel/mm/transparent_hugepage/enabled"),
		readSmall("/proc/sys/vm/overcommit_memory"), readSmall("/proc/meminfo"), os.Getenv("PSAD_HUGEPAGES")))
	if n < 2*pageSize {
		return 0
	}
	return n
}

// Region is address space set aside for the heap to grow into, whose
// huge pages a long-running process turns on and off (Advise).
//
// Why not Heap for the daemon: advice that stays on lets khugepaged,
// which by default collapses any advised 2 MB range with a single page
// in use, fill a long-lived heap's sparse ranges to whole huge pages.
// After a 100,000-source flood expired, the daemon set aside with Heap
// at its start stayed 17 MB larger (72-75 MB against 54-58 MB) for it.
// Advised only while a flood grows the heap, the flood gets huge pages
// and the memory it leaves behind does not.
type Region struct {
	spans [][2]uintptr
}

// Reserve sets n bytes aside like Heap (capped and conditioned the same
// way), without advice; nil where Heap would do nothing.
func Reserve(n int) *Region {
	if n = capped(n); n == 0 {
		return nil
	}
	return &Region{spans: setAside(n, false)}
}

// Advise asks for huge pages on the region's memory not yet in use
// (on), or stops asking (off); memory in use keeps the pages it has. A
// nil Region does nothing.
func (r *Region) Advise(on bool) {
	if r == nil {
		return
	}
	adv := uintptr(syscall.MADV_NOHUGEPAGE)
	if on {
		adv = syscall.MADV_HUGEPAGE
	}
	for _, sp := range r.spans {
		madviseRange(sp[0], sp[1], adv)
	}
}

// setAside allocates n bytes in chunks, frees them, and returns the
// address ranges they took (merged where side by side); with advise
// it asks for huge pages on them first.
func setAside(n int, advise bool) [][2]uintptr {
	chunks := make([][]byte, 0, n/heapChunk+1)
	spans := make([][2]uintptr, 0, cap(chunks))
	for left := n; left > 0; left -= heapChunk {
		c := make([]byte, min(left, heapChunk))
		chunks = append(chunks, c)
		start := uintptr(unsafe.Pointer(unsafe.SliceData(c)))
		spans = append(spans, [2]uintptr{start, start + uintptr(len(c))})
	}
	// Chunks side by side are advised as one span: one by one, the pages
	// across each boundary would be left out.
	slices.SortFunc(spans, func(a, b [2]uintptr) int { return cmp.Compare(a[0], b[0]) })
	merged := spans[:0]
	for _, sp := range spans {
		if k := len(merged); k > 0 && merged[k-1][1] == sp[0] {
			merged[k-1][1] = sp[1]
		} else {
			merged = append(merged, sp)
		}
	}
	for _, sp := range merged {
		if advise {
			adviseRange(sp[0], sp[1])
		}
	}
	runtime.KeepAlive(chunks)
	runtime.GC()
	return merged
}

// heapChunk is the size of Heap's allocations: the most the runtime may
// zero of them at once.
const heapChunk = 16 << 20

// readSmall returns a small file's text, or "" when it cannot be read.
func readSmall(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}
