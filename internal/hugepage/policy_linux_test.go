package hugepage

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestHeapCap(t *testing.T) {
	const (
		madvise = "always [madvise] never\n"
		mem     = "MemTotal:       1000000 kB\nMemFree:  1000 kB\n"
		quarter = 1000000 << 10 / 4
	)
	for _, c := range []struct {
		name, thp, overcommit, meminfo, env string
		want                                int
	}{
		{"madvise, heuristic overcommit", madvise, "0\n", mem, "", quarter},
		{"madvise, always overcommit", madvise, "1\n", mem, "", quarter},
		{"strict overcommit", madvise, "2\n", mem, "", 0},
		{"THP always", "[always] madvise never\n", "0\n", mem, "", 0},
		{"THP never", "always madvise [never]\n", "0\n", mem, "", 0},
		{"no THP", "", "0\n", mem, "", 0},
		{"overcommit unknown", madvise, "", mem, "", 0},
		{"memory unknown", madvise, "0\n", "", "", 0},
		{"PSAD_HUGEPAGES=off", madvise, "0\n", mem, "off", 0},
		{"PSAD_HUGEPAGES=on", madvise, "0\n", mem, "on", quarter},
		{"unit not kB", madvise, "0\n", "MemTotal: 5 MB\n", "", 0},
	} {
		if got := heapCap(c.thp, c.overcommit, c.meminfo, c.env); got != c.want {
			t.Errorf("%s: heapCap = %d, want %d", c.name, got, c.want)
		}
	}
}

// FuzzHeapCap: the three kernel files are read as text, and whatever
// they hold the cap is 0 or a quarter of the MemTotal they state, never
// a negative or wrapped size (the set-aside allocates what it returns).
func FuzzHeapCap(f *testing.F) {
	f.Add("always [madvise] never", "0", "MemTotal:        8000000 kB\nMemFree: 1 kB\n", "")
	f.Add("[madvise]", "1\n", "MemTotal: 9007199254740993 kB\n", "")
	f.Add("[madvise]", "2", "MemTotal: 4 kB\n", "off")
	f.Fuzz(func(t *testing.T, thp, overcommit, meminfo, env string) {
		got := heapCap(thp, overcommit, meminfo, env)
		if got == 0 {
			return
		}
		var kb int64 = -1
		for l := range strings.Lines(meminfo) {
			if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				fmt.Sscanf(rest, "%d", &kb)
				break
			}
		}
		// A quarter of MemTotal, or as much as an int holds (32-bit).
		if got < 0 || kb <= 0 || int64(got) != min(kb*1024/4, math.MaxInt) || kb > math.MaxInt64/1024 {
			t.Fatalf("heapCap(..., MemTotal %d kB) = %d", kb, got)
		}
	})
}
