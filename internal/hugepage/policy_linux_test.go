package hugepage

import "testing"

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
