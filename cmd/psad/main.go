// Command psad is the Port Scan Attack Detector: a drop-in rebuild of
// psad 2.4.6 in Go.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/psadgo/psad/internal/cli"
)

func main() {
	fi, err := os.Stderr.Stat()
	tty := err == nil && fi.Mode()&os.ModeCharDevice != 0
	stop := profile(os.Getenv("PSAD_CPUPROFILE"))
	code := cli.Run(os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, StderrTTY: tty})
	stop()
	os.Exit(code)
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
