// Command psad is the Port Scan Attack Detector: a drop-in rebuild of
// psad 2.4.6 in Go.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"golang.org/x/sys/unix"

	"github.com/psadgo/psad/internal/cli"
)

func main() {
	tty := isTerminal(os.Stderr)
	stop := profile(os.Getenv("PSAD_CPUPROFILE"))
	code := cli.Run(os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, StderrTTY: tty})
	stop()
	heapProfile(os.Getenv("PSAD_MEMPROFILE"))
	os.Exit(code)
}

// isTerminal reports whether f is a terminal, which answers the terminal
// ioctl; /dev/null, also a character device, does not, and gets no
// progress bar (nor the bar's count pass over the input).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// heapProfile writes the heap profile at the end of the run (what is
// still live and, as alloc_space, everything the run allocated), the
// memory counterpart of PSAD_CPUPROFILE.
func heapProfile(path string) {
	if path == "" {
		return
	}
	// The profile counts up to the last collection; a one-shot run may
	// not have collected for hundreds of megabytes.
	runtime.GC()
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "[-] PSAD_MEMPROFILE: %v\n", err)
	}
}

// profile writes a CPU profile of the whole run to path, so that a slow
// run on a user's own log can be looked at with `go tool pprof` without
// a rebuild. An empty path profiles nothing.
func profile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "[-] PSAD_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
