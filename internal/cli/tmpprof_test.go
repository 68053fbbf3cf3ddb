package cli

import (
	"io"
	"strings"
	"testing"
)

func TestTmpProfCLI(t *testing.T) {
	Run([]string{"-c", "/tmp/psad-oracle/psad.conf", "-A", "-m", "/tmp/mixed1m.log"}, Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
}
