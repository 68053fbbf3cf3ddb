package analysis

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// collectRarely sets the collector for a one-shot analysis, which keeps
// nearly everything it allocates until the report: every collection only
// marks the same live state again (0.2 CPU-s of 3.7 on the 1M-line log,
// measured). With the machine's memory known the collector is off, with a
// memory limit at half of it (or of the cgroup's limit) as the safety
// net; without it, or when the user set GOGC, it runs at GOGC 400 or the
// user's value. limit is machineLimit's. It returns the function that
// restores the settings.
func collectRarely(limit int64) (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	if limit <= 0 {
		prev := debug.SetGCPercent(400)
		return func() { debug.SetGCPercent(prev) }
	}
	prevLimit := debug.SetMemoryLimit(-1)
	debug.SetMemoryLimit(min(prevLimit, limit))
	prev := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(prev)
		debug.SetMemoryLimit(prevLimit)
	}
}

// machineLimit is memoryLimit of this machine and cgroup.
func machineLimit() int64 {
	return memoryLimit(readSmall("/proc/meminfo"), readSmall("/sys/fs/cgroup/memory.max"))
}

// hugeHeap is how much of the heap a run over size bytes of log asks
// huge pages for (hugepage.Heap): twice the log, as -A on the 1M-line
// log peaks at 1.3 times its size, but at most half of limit, so that
// the untouched rest never looks like memory to give back; nothing when
// the limit is unknown.
func hugeHeap(size, limit int64) int {
	return int(max(min(2*size, limit/2, math.MaxInt), 0))
}

// memoryLimit is half of the smaller of MemTotal in meminfo and a
// cgroup v2 memory.max, in bytes; 0 when neither says.
func memoryLimit(meminfo, cgroupMax string) int64 {
	var total int64
	for l := range strings.Lines(meminfo) {
		if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				continue
			}
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil && kb > 0 {
				total = kb << 10
			}
		}
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(cgroupMax), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
		total = n
	}
	return total / 2
}

// readSmall returns a small file's text, or "" when it cannot be read.
func readSmall(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}
