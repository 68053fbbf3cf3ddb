package source

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/psadgo/psad/internal/logsrc"
)

func kernelLine(n int) string {
	return fmt.Sprintf("Mar  1 20:35:%02d fw kernel: DROP IN=eth0 OUT= SRC=192.0.2.%d DST=198.51.100.1 PROTO=TCP SPT=1 DPT=22 SYN", n%60, n)
}

func appendLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		if _, err := f.WriteString(l + "\n"); err != nil {
			t.Fatal(err)
		}
	}
}

func newFile(t *testing.T, path string, pos []byte) *File {
	t.Helper()
	f := NewFile(FileConfig{Path: path, FromStart: true}, nil)
	if err := f.Resume(pos); err != nil {
		t.Fatalf("Resume(%q): %v", pos, err)
	}
	return f
}

func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	var want []string
	for i := range 3 {
		want = append(want, kernelLine(i))
	}
	want = append(want, "Mar  1 20:36:00 fw sshd[42]: not a firewall line")
	appendLines(t, path, want...)

	r := start(t, newFile(t, path, nil))
	first := r.next(t, len(want))
	more := []string{kernelLine(10), kernelLine(11)}
	appendLines(t, path, more...) // written while running
	all := append(first, r.next(t, len(more))...)
	r.stop(t)
	want = append(want, more...)
	equal(t, "first run", lines(all), want)

	// Each pos is the byte offset after its line, in the same file.
	var off int64
	for i, g := range all {
		off += int64(len(want[i])) + 1
		f := NewFile(FileConfig{}, nil)
		if err := f.Resume(g.pos); err != nil {
			t.Fatalf("Resume(pos of line %d): %v", i, err)
		}
		if f.start.Offset != off {
			t.Errorf("line %d: pos offset %d, want %d", i, f.start.Offset, off)
		}
	}

	// A restart after line k reads exactly the lines after it, and
	// then what is written next.
	for k := range all {
		t.Run(fmt.Sprint("resume after ", k), func(t *testing.T) {
			r := start(t, newFile(t, path, all[k].pos))
			rest := want[k+1:]
			g := r.next(t, len(rest))
			equal(t, "resumed", lines(g), rest)
			mark := fmt.Sprintf("Mar  1 20:37:00 fw app: marker %d", k)
			appendLines(t, path, mark)
			equal(t, "after the rest", lines(r.next(t, 1)), []string{mark})
			want = append(want, mark)
		})
	}
}

// TestFileRotation checks positions across a rename-and-create rotation,
// while running and while stopped.
func TestFileRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "messages")
	appendLines(t, path, kernelLine(1), kernelLine(2), kernelLine(3))

	r := start(t, newFile(t, path, nil))
	old := r.next(t, 3)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, kernelLine(4), kernelLine(5), kernelLine(6))
	rotated := r.next(t, 3)
	r.stop(t)
	equal(t, "across rotation", lines(append(old, rotated...)),
		[]string{kernelLine(1), kernelLine(2), kernelLine(3), kernelLine(4), kernelLine(5), kernelLine(6)})

	t.Run("resume in the new file", func(t *testing.T) {
		r := start(t, newFile(t, path, rotated[0].pos))
		equal(t, "resumed", lines(r.next(t, 2)), []string{kernelLine(5), kernelLine(6)})
		appendLines(t, path, kernelLine(7))
		equal(t, "next", lines(r.next(t, 1)), []string{kernelLine(7)})
	})
	t.Run("rotated while stopped", func(t *testing.T) {
		// The position is in a file that is no longer at the path: the
		// new file is read whole, so nothing written to it is lost.
		if err := os.Rename(path, path+".2"); err != nil {
			t.Fatal(err)
		}
		appendLines(t, path, kernelLine(8), kernelLine(9))
		r := start(t, newFile(t, path, rotated[2].pos))
		equal(t, "resumed", lines(r.next(t, 2)), []string{kernelLine(8), kernelLine(9)})
		appendLines(t, path, kernelLine(10))
		equal(t, "next", lines(r.next(t, 1)), []string{kernelLine(10)})
	})
}

// TestFileRejectsForgeries checks that firewall-looking lines a program
// wrote are dropped, counted and read past.
func TestFileRejectsForgeries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	forged := "Mar  1 20:35:11 fw root: DROP IN=eth0 OUT= SRC=203.0.113.9 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=23 SYN"
	appendLines(t, path, kernelLine(1), forged, kernelLine(2), forged, forged, "Mar  1 20:35:12 fw app: no IN= here")
	f := newFile(t, path, nil)
	r := start(t, f)
	g := r.next(t, 3)
	r.stop(t)
	equal(t, "passed on", lines(g), []string{kernelLine(1), kernelLine(2), "Mar  1 20:35:12 fw app: no IN= here"})
	if n := f.Rejected(); n != 3 {
		t.Errorf("Rejected() = %d, want 3", n)
	}

	// The position of the line after a forgery is past the forgery.
	f = newFile(t, path, g[0].pos)
	r = start(t, f)
	equal(t, "resumed", lines(r.next(t, 2)), lines(g[1:]))

	r.stop(t)
	if n := f.Rejected(); n != 3 {
		t.Errorf("Rejected() after resuming = %d, want 3", n)
	}

	// A second Run continues after the last line, and a forgery read
	// last is not read again.
	appendLines(t, path, forged)
	r = start(t, f)
	appendLines(t, path, kernelLine(3))
	equal(t, "second Run", lines(r.next(t, 1)), []string{kernelLine(3)})
	r.stop(t)
	appendLines(t, path, kernelLine(4))
	r = start(t, f)
	equal(t, "third Run", lines(r.next(t, 1)), []string{kernelLine(4)})
	r.stop(t)
	if n := f.Rejected(); n != 4 {
		t.Errorf("Rejected() = %d, want 4", n)
	}
}

func TestFileLegacyPosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	appendLines(t, path, kernelLine(1), kernelLine(2), kernelLine(3))
	// What the daemon wrote to input_pos: a JSON logsrc.Pos. Take the
	// device and inode from a position of ours.
	r := start(t, newFile(t, path, nil))
	g := r.next(t, 1)
	r.stop(t)
	var probe File
	if err := probe.Resume(g[0].pos); err != nil {
		t.Fatal(err)
	}
	legacy, err := json.Marshal(logsrc.Pos{Dev: probe.start.Dev, Inode: probe.start.Inode, Offset: int64(len(kernelLine(1)) + 1)})
	if err != nil {
		t.Fatal(err)
	}
	r = start(t, newFile(t, path, legacy))
	equal(t, "legacy", lines(r.next(t, 2)), []string{kernelLine(2), kernelLine(3)})
}

func TestFileMalformedPosition(t *testing.T) {
	f := NewFile(FileConfig{}, nil)
	checkMalformed(t, f, append(garbage,
		[]byte(`{"Dev":1,"Inode":`),
		[]byte(`{"Dev":1,"Inode":2,"Offset":-5}`),
		[]byte{posVersion, kindKmsg, 1, 'b', 7},  // a kmsg position
		[]byte{posVersion, kindFile, 1, 2},       // no offset
		[]byte{posVersion, kindFile, 1, 2, 3, 4}, // trailing byte
		[]byte{posVersion, kindFile, 0xff},       // broken varint
	)...)
	if f.start != nil {
		t.Errorf("a rejected position was kept: %+v", f.start)
	}
	if err := f.Resume(nil); err != nil {
		t.Errorf("Resume(nil) = %v", err)
	}
}

func TestFilePosNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	buf := make([]byte, 0, 32)
	p := logsrc.Pos{Dev: 1 << 40, Inode: 1 << 50, Offset: 1 << 45}
	if n := testing.AllocsPerRun(100, func() { buf = appendFilePos(buf[:0], p) }); n != 0 {
		t.Errorf("%v allocs per position, want 0", n)
	}
	var f File
	if err := f.Resume(buf); err != nil || *f.start != p {
		t.Errorf("round trip: %v, %+v, want %+v", err, f.start, p)
	}
}

// TestFileCustomHeader: with CUSTOM_SYSLOG_TS_RE a line in the
// administrator's own format is the kernel's when the expression matches
// it, though its tag is not where a syslog header has it; a forgery in
// that format (another tag) is still refused.
func TestFileCustomHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	custom := "Mar 1 2026 20:35:11 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.9 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=23 SYN"
	forged := strings.Replace(custom, " kernel: ", " root: ", 1)
	appendLines(t, path, forged, custom)
	re := regexp.MustCompile(`^(\w+ \d+ \d+ [\d:]+) (\S+) kernel:`)
	for _, c := range []struct {
		header *regexp.Regexp
		want   []string
	}{{nil, nil}, {re, []string{custom}}} {
		f := NewFile(FileConfig{Path: path, FromStart: true, Header: c.header}, nil)
		if err := f.Resume(nil); err != nil {
			t.Fatal(err)
		}
		r := start(t, f)
		appendLines(t, path, kernelLine(1))
		got := lines(r.next(t, len(c.want)+1))
		r.stop(t)
		equal(t, fmt.Sprintf("header %v", c.header), got, append(c.want, kernelLine(1)))
		if n := f.Rejected(); n != uint64(3-len(c.want)-1) {
			t.Errorf("header %v: Rejected() = %d", c.header, n)
		}
	}
}
