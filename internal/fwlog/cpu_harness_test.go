package fwlog

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCPUHarness(t *testing.T) {
	if os.Getenv("CPUH") == "" {
		t.Skip()
	}
	runtime.LockOSThread()
	ps := defaultParser()
	const n = 3000000
	for _, in := range benchInputs {
		line := []byte(in.line)
		best := time.Duration(1 << 62)
		for r := 0; r < 3; r++ {
			t0 := threadCPU()
			for i := 0; i < n; i++ {
				sinkErr = ps.Parse(line, &sinkPacket)
			}
			if d := threadCPU() - t0; d < best {
				best = d
			}
		}
		t0 := threadCPU()
		for i := 0; i < n; i++ {
			k := 0
			for _, c := range line {
				if c == ' ' || c == '\t' {
					k++
				}
			}
			sinkN = k
		}
		cnt := threadCPU() - t0
		t.Logf("%-14s parse %6.1f ns/op (cpu)  count-pass %6.1f ns  ratio %.2f", in.name, float64(best)/n, float64(cnt)/n, float64(best)/float64(cnt))
	}
}
