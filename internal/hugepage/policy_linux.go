package hugepage

import (
	"math"
	"strconv"
	"strings"
)

// heapCap is the most Heap may set aside, from the text of
// /sys/kernel/mm/transparent_hugepage/enabled, /proc/sys/vm/overcommit_memory
// and /proc/meminfo and the value of PSAD_HUGEPAGES: a quarter of
// MemTotal when THP is in "madvise" mode and the kernel is not in strict
// overcommit accounting, 0 otherwise, when any of them is unknown, or
// when PSAD_HUGEPAGES is "off".
//
// Why a switch: in "madvise" mode the kernel may compact memory to find
// a huge page for advised memory, and on a machine whose memory is
// badly fragmented that can stall the faults it was meant to spare.
func heapCap(thp, overcommit, meminfo, env string) int {
	if env == "off" || !strings.Contains(thp, "[madvise]") {
		return 0
	}
	if mode := strings.TrimSpace(overcommit); mode != "0" && mode != "1" {
		return 0
	}
	for l := range strings.Lines(meminfo) {
		rest, ok := strings.CutPrefix(l, "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb <= 0 || kb > math.MaxInt64>>10 {
			return 0 // not a size in bytes this machine could have
		}
		return int(min(kb<<10/4, math.MaxInt)) // a 32-bit int holds 2 GB
	}
	return 0
}
