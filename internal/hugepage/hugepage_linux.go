package hugepage

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
)

// advise asks for huge pages on the 2 MB-aligned part of mem, before
// its first write; the rest keeps ordinary pages. It is a hint: a kernel
// without transparent huge pages, or with them set to "never", leaves
// the memory as it was, and so does a failure.
func advise(mem []byte) {
	start, end := aligned(mem)
	if start < end {
		_ = syscall.Madvise(mem[start:end], syscall.MADV_HUGEPAGE)
	}
}

// Heap makes the next n bytes the Go heap grows by ask for huge pages,
// for a process about to fill that much. It allocates n bytes without
// touching them (fresh heap memory needs no zeroing), advises them and
// frees them with a collection, which costs little this early. The
// runtime then zeroes what it places there, which fresh memory would
// have spared; clearing 320 MB took 13 ms here, against the 0.6 s the
// huge pages save.
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
func Heap(n int) {
	if strconv.IntSize < 64 {
		return
	}
	n = min(n, heapCap(readSmall("/sys/kernel/mm/transparent_hugepage/enabled"),
		readSmall("/proc/sys/vm/overcommit_memory"), readSmall("/proc/meminfo")))
	if n < 2*pageSize {
		return
	}
	mem := make([]byte, n)
	advise(mem)
	mem = nil
	runtime.GC()
}

// readSmall returns a small file's text, or "" when it cannot be read.
func readSmall(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}
