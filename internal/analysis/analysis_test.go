package analysis

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestProgressStep checks the verified examples of detection spec 13.2.
func TestProgressStep(t *testing.T) {
	for n, want := range map[int]int{1002: 101, 302: 31, 12: 12, 5: 5, 2: 2, 1: 1, 0: 1, 1009: 101, 100: 100, 101: 11, 15001: 1001, 1000000: 90001, 20000000: 50001} {
		if got := progressStep(n); got != want {
			t.Errorf("progressStep(%d) = %d, want %d", n, got, want)
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
