package analysis

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
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
		want        int
	}{
		{250 << 20, 8 << 30, 500 << 20},
		{4 << 30, 8 << 30, 4 << 30}, // half the limit
		{250 << 20, 0, 0},           // limit unknown
		{0, 8 << 30, 0},
	} {
		if got := hugeHeap(c.size, c.limit); got != c.want {
			t.Errorf("hugeHeap(%d, %d) = %d, want %d", c.size, c.limit, got, c.want)
		}
	}
}

// TestOnceRead: the function runs once, on the read that passes the
// mark, and the bytes pass through unchanged.
func TestOnceRead(t *testing.T) {
	data := strings.Repeat("0123456789", 100)
	calls, callsAt := 0, -1
	var got []byte
	r := &onceRead{r: iotest.OneByteReader(strings.NewReader(data)), at: 250}
	r.then = func() { calls++; callsAt = len(got) + 1 }
	buf := make([]byte, 16)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(got) != data || calls != 1 || callsAt != 250 {
		t.Errorf("read %d bytes (same: %v); then ran %d times, at byte %d, want once at 250", len(got), string(got) == data, calls, callsAt)
	}
}
