package inspect

import (
	"testing"

	"github.com/psadgo/psad/internal/osfp"
)

// TestMemoKeepsKeysApart: a key is only ever answered with its own
// result, also when another key takes its slot, and every field of the
// key counts.
func TestMemoKeepsKeysApart(t *testing.T) {
	var m fpMemo
	a := fpKey{ttl: 64, ipLen: 60, win: 29200, nopts: 20, df: true}
	copy(a.opts[:], "020405b40402080a")
	ra := fpResult{guess: osfp.Guess{Label: "Linux"}, ok: true}
	m.put(&a, ra)
	if r, ok := m.get(&a); !ok || r.guess.Label != "Linux" {
		t.Fatalf("get after put: %v %v", r, ok)
	}
	// Keys that differ from a in one field each.
	variants := []func(*fpKey){
		func(k *fpKey) { k.ttl++ }, func(k *fpKey) { k.ipLen++ }, func(k *fpKey) { k.win++ },
		func(k *fpKey) { k.tos++ }, func(k *fpKey) { k.tc++ }, func(k *fpKey) { k.df = false },
		func(k *fpKey) { k.v6 = true }, func(k *fpKey) { k.flags++ }, func(k *fpKey) { k.ipid = 1 },
		func(k *fpKey) { k.flow = 1 }, func(k *fpKey) { k.seq = 1 }, func(k *fpKey) { k.ack = 1 },
		func(k *fpKey) { k.opts[39] = 1 }, func(k *fpKey) { k.nopts++ }, func(k *fpKey) { k.ipOptsLen++ },
	}
	for i, change := range variants {
		b := a
		change(&b)
		if _, ok := m.get(&b); ok {
			t.Errorf("variant %d: answered with another key's result", i)
		}
	}
	// A key that falls on a's slot takes it; a is then not answered.
	b := a
	for b.ttl = 0; b.hash()%memoSlots != a.hash()%memoSlots || b == a; b.ttl++ {
	}
	m.put(&b, fpResult{guess: osfp.Guess{Label: "Windows"}, ok: true})
	if r, ok := m.get(&a); ok {
		t.Errorf("a answered with %v after b took its slot", r)
	}
	if r, ok := m.get(&b); !ok || r.guess.Label != "Windows" {
		t.Errorf("b: %v %v", r, ok)
	}
}
