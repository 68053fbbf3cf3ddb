package scan

import (
	"math"
	"testing"
	"unsafe"
)

// A busy log holds hundreds of thousands of pairs and sources, and their
// size decides how much memory -A touches (and faults in) per log line.
// These bounds are Go's size classes the structs were packed to fit: a
// field that pushes one over costs every pair or source the next class.
func TestStateFitsSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(Pair{}); n > 256 {
		t.Errorf("Pair is %d bytes, over the 256-byte size class", n)
	}
	if n := unsafe.Sizeof(Source{}); n > 256 {
		t.Errorf("Source is %d bytes, over the 256-byte size class", n)
	}
	// A flood holds one Batch per new pair until its batch closes.
	if n := unsafe.Sizeof(Batch{}); n > 128 {
		t.Errorf("Batch is %d bytes, over the 128-byte size class", n)
	}
}

func TestInc32Saturates(t *testing.T) {
	n := int32(math.MaxInt32 - 1)
	inc32(&n)
	inc32(&n)
	if n != math.MaxInt32 {
		t.Errorf("counter at %d, want it held at %d", n, int32(math.MaxInt32))
	}
}
