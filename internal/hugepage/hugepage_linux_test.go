package hugepage

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// TestAdviseMarksMemory: after adviseRange, the kernel's map of the process
// shows the aligned part of the memory as asking for huge pages ("hg"
// in VmFlags), whatever THP mode the machine is in.
func TestAdviseMarksMemory(t *testing.T) {
	if !freshProcess(t) {
		return
	}
	mem := make([]byte, 8<<20)
	lo := uintptr(unsafe.Pointer(&mem[0]))
	addr := (lo + pageSize - 1) &^ (pageSize - 1) // the first huge page inside
	if hasHG(t, addr) {
		t.Fatalf("memory at %#x asks for huge pages before advise; the test proves nothing", addr)
	}
	adviseRange(lo, lo+uintptr(len(mem)))
	if !hasHG(t, addr) {
		t.Errorf("memory at %#x does not ask for huge pages after advise", addr)
	}
	mem[0] = 1 // keep mem alive to here
}

// TestHeapAdvisesLaterAllocations: memory the heap hands out after
// Heap asks for huge pages, where the same allocation before Heap did
// not. It fails if a Go release stops reusing the advised range (see
// Heap): -A would then lose a quarter of its speed.
func TestHeapAdvisesLaterAllocations(t *testing.T) {
	if heapCap(readSmall("/sys/kernel/mm/transparent_hugepage/enabled"), readSmall("/proc/sys/vm/overcommit_memory"), readSmall("/proc/meminfo")) < 128<<20 {
		t.Skip("Heap leaves this machine's heap alone: THP is not in madvise mode, overcommit is strict, or memory is under 512 MB")
	}
	if !freshProcess(t) {
		return
	}
	hugeInside := func(mem []byte) uintptr { // the first huge page inside mem
		return (uintptr(unsafe.Pointer(&mem[0])) + pageSize - 1) &^ (pageSize - 1)
	}
	before := make([]byte, 24<<20)
	if a := hugeInside(before); hasHG(t, a) {
		t.Fatalf("heap memory at %#x asks for huge pages before Heap; the test proves nothing", a)
	}
	Heap(96 << 20)
	after := make([]byte, 24<<20)
	if a := hugeInside(after); !hasHG(t, a) {
		t.Errorf("heap memory at %#x, allocated after Heap, does not ask for huge pages", a)
	}
	before[0], after[0] = 1, 1 // both stay alive to here
}

// TestHeapTouchesLittle: setting memory aside must not make it
// resident. The runtime zeroes an allocation that starts in memory it
// used before, all of it; a single object set aside just above a freed
// one was zeroed whole, making the whole reserve resident at once.
func TestHeapTouchesLittle(t *testing.T) {
	if heapCap(readSmall("/sys/kernel/mm/transparent_hugepage/enabled"), readSmall("/proc/sys/vm/overcommit_memory"), readSmall("/proc/meminfo")) < 512<<20 {
		t.Skip("Heap leaves this machine's heap alone: THP is not in madvise mode, overcommit is strict, or memory is under 2 GB")
	}
	if !freshProcess(t) {
		return
	}
	garbage := make([]byte, 24<<20)
	for i := range garbage {
		garbage[i] = 1
	}
	garbage = nil
	runtime.GC() // the top of the heap is now used memory, free
	before := residentKB(t)
	Heap(512 << 20)
	if grew := residentKB(t) - before; grew > 64<<10 {
		t.Errorf("Heap(512 MB) made %d MB resident, want at most 64", grew>>10)
	}
}

// residentKB is the process's VmRSS.
func residentKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for l := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb int
			if _, err := fmt.Sscanf(rest, "%d kB", &kb); err == nil {
				return kb
			}
		}
	}
	t.Fatalf("no VmRSS in /proc/self/status")
	return 0
}

// freshProcess runs the calling test again in a process of its own and
// reports whether this is that process: the advice stays on the heap for
// the rest of a process, so a test that checks memory before it has to
// be the first to give any.
func freshProcess(t *testing.T) bool {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages:", err)
	}
	if os.Getenv("HUGEPAGE_TEST_CHILD") == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "HUGEPAGE_TEST_CHILD="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Errorf("in a process of its own: %v\n%s", err, out)
	}
	return false
}

// hasHG reports whether the mapping holding addr has the VM_HUGEPAGE
// flag, from /proc/self/smaps.
func hasHG(t *testing.T, addr uintptr) bool {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skip("no /proc/self/smaps:", err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && strings.Contains(line, " ") {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.Contains(line, " hg")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("no mapping holds %#x", addr)
	return false
}
