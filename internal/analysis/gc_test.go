package analysis

import (
	"math"
	"testing"
)

func TestMemoryLimit(t *testing.T) {
	const meminfo = "MemTotal:       24000000 kB\nMemFree:         1000 kB\n"
	for _, c := range []struct {
		name, meminfo, cgroup string
		want                  int64
	}{
		{"machine", meminfo, "", 24000000 << 10 / 2},
		{"cgroup unlimited", meminfo, "max\n", 24000000 << 10 / 2},
		{"cgroup below machine", meminfo, "1073741824\n", 1 << 29},
		{"cgroup above machine", meminfo, "1099511627776\n", 24000000 << 10 / 2},
		{"cgroup only", "", "2147483648", 1 << 30},
		{"nothing known", "", "", 0},
		{"unit not kB", "MemTotal: 5 MB\n", "", 0},
		{"no number", "MemTotal:\n", "", 0},
	} {
		if got := memoryLimit(c.meminfo, c.cgroup); got != c.want {
			t.Errorf("%s: memoryLimit = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestHugeHeap(t *testing.T) {
	for _, c := range []struct {
		size, limit int64
		want        int64
	}{
		{250 << 20, 8 << 30, 500 << 20},
		{4 << 30, 8 << 30, 4 << 30}, // half the limit
		{250 << 20, 0, 0},           // limit unknown
		{0, 8 << 30, 0},
		{64 << 30, 1 << 62, 128 << 30}, // more than a 32-bit int holds
	} {
		// A 32-bit process cannot say more than its int holds.
		c.want = min(c.want, math.MaxInt)
		if got := hugeHeap(c.size, c.limit); int64(got) != c.want {
			t.Errorf("hugeHeap(%d, %d) = %d, want %d", c.size, c.limit, got, c.want)
		}
	}
}
