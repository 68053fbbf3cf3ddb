package logsrc

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func pipeSizeOf(t *testing.T, f *os.File) int {
	t.Helper()
	n, err := unix.FcntlInt(f.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGrowPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if n := GrowPipe(r); n < pipeSize || pipeSizeOf(t, r) != n {
		t.Errorf("GrowPipe = %d, pipe size %d; want at least %d", n, pipeSizeOf(t, r), pipeSize)
	}

	// A pipe already larger is not shrunk. Only a process with
	// CAP_SYS_RESOURCE may make one larger than pipe-max-size.
	t.Run("larger", func(t *testing.T) {
		if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 4*pipeSize); err != nil {
			t.Skipf("cannot make a pipe larger than pipe-max-size here: %v", err)
		}
		if n := GrowPipe(r); n != 4*pipeSize || pipeSizeOf(t, r) != 4*pipeSize {
			t.Errorf("GrowPipe on a 4 MB pipe = %d, pipe size %d", n, pipeSizeOf(t, r))
		}
	})

	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := GrowPipe(f); n != 0 {
		t.Errorf("GrowPipe on a file = %d", n)
	}
	if n := GrowPipe(bytes.NewReader(nil)); n != 0 {
		t.Errorf("GrowPipe on a bytes.Reader = %d", n)
	}
}
