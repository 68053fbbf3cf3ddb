// Command psad is the Port Scan Attack Detector: a drop-in rebuild of
// psad 2.4.6 in Go.
package main

import (
	"os"

	"github.com/psadgo/psad/internal/cli"
)

func main() {
	fi, err := os.Stderr.Stat()
	tty := err == nil && fi.Mode()&os.ModeCharDevice != 0
	os.Exit(cli.Run(os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, StderrTTY: tty}))
}
