// Package hugepage asks the kernel to back the memory of a large,
// short-lived analysis with transparent huge pages.
//
// Why: -A keeps hundreds of megabytes of per-source and per-pair state
// and touches it in no order, a cache line here and there. With 4 KB
// pages that is a page fault per 4 KB on the way in and a TLB miss on
// most touches afterwards. In THP's "madvise" mode (this machine's, and
// a common default) memory gets huge pages only when the program asks,
// and the Go runtime does not ask for its heap. Asking made -A on the 1M-line log
// 28% faster (1.96 s to 1.41 s, CPU 3.44 s to 2.42 s), as fast as THP
// "always" makes it.
package hugepage
