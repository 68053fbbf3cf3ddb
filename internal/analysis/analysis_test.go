package analysis

import "testing"

// TestProgressStep checks the verified examples of detection spec 13.2.
func TestProgressStep(t *testing.T) {
	for n, want := range map[int]int{1002: 101, 302: 31, 12: 12, 5: 5, 2: 2, 1: 1, 0: 1, 1009: 101, 100: 100, 101: 11, 15001: 1001, 1000000: 90001, 20000000: 50001} {
		if got := progressStep(n); got != want {
			t.Errorf("progressStep(%d) = %d, want %d", n, got, want)
		}
	}
}
