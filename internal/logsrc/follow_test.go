package logsrc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// tail runs Follow in the background and records what it delivers.
type tail struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan error
	stopMu sync.Once
	err    error

	mu     sync.Mutex
	lines  []string
	pos    []Pos
	notify chan struct{}
}

func startFollow(t *testing.T, path string, o FollowOptions) *tail {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tl := &tail{t: t, cancel: cancel, done: make(chan error, 1), notify: make(chan struct{}, 1)}
	if o.Logf == nil {
		o.Logf = t.Logf
	}
	go func() { tl.done <- Follow(ctx, path, o, tl.add) }()
	t.Cleanup(func() { tl.stop() })
	return tl
}

func (tl *tail) add(line []byte, pos Pos) {
	tl.mu.Lock()
	tl.lines = append(tl.lines, string(line))
	tl.pos = append(tl.pos, pos)
	tl.mu.Unlock()
	select {
	case tl.notify <- struct{}{}:
	default:
	}
}

// stop cancels Follow and waits for it to return.
func (tl *tail) stop() error {
	tl.stopMu.Do(func() {
		tl.cancel()
		select {
		case tl.err = <-tl.done:
		case <-time.After(2 * time.Second):
			tl.t.Errorf("Follow did not return within 2s of cancellation")
		}
	})
	return tl.err
}

func (tl *tail) snapshot() ([]string, []Pos) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return slices.Clone(tl.lines), slices.Clone(tl.pos)
}

// wait returns the lines once there are at least n, failing after d.
func (tl *tail) wait(n int, d time.Duration) []string {
	tl.t.Helper()
	deadline := time.After(d)
	for {
		got, _ := tl.snapshot()
		if len(got) >= n {
			return got
		}
		select {
		case <-tl.notify:
		case <-deadline:
			tl.t.Fatalf("after %v: got %d lines %q, want %d", d, len(got), got, n)
		}
	}
}

// expect waits for want and checks that nothing else arrives for a while.
func (tl *tail) expect(want ...string) {
	tl.t.Helper()
	tl.wait(len(want), 3*time.Second)
	time.Sleep(50 * time.Millisecond)
	if got, _ := tl.snapshot(); !slices.Equal(got, want) {
		tl.t.Fatalf("lines:\n got  %q\n want %q", got, want)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func posOf(t *testing.T, path string, off int64) Pos {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	id := idOf(fi)
	return Pos{id.dev, id.ino, off}
}

func TestFollowLatency(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	appendFile(t, path, "old 1\nold 2\n")
	// An hour-long poll interval: only inotify can deliver in time.
	tl := startFollow(t, path, FollowOptions{FromStart: true, Poll: time.Hour})
	want := tl.wait(2, 3*time.Second) // Follow is now waiting at the end
	for i := range 5 {
		line := fmt.Sprintf("new %d", i)
		want = append(want, line)
		start := time.Now()
		appendFile(t, path, line+"\n")
		tl.wait(len(want), time.Second)
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("line %d took %v to arrive", i, d)
		}
	}
	tl.expect(want...)
	_, pos := tl.snapshot()
	if got, want := pos[len(pos)-1], posOf(t, path, int64(len("old 1\nold 2\n")+5*len("new 0\n"))); got != want {
		t.Errorf("last pos = %+v, want %+v", got, want)
	}
}

func TestFollowStartsAtEndOfLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	appendFile(t, path, "old\npart")
	tl := startFollow(t, path, FollowOptions{})
	time.Sleep(100 * time.Millisecond) // let Follow seek to the end
	appendFile(t, path, "ial\r\nnew\n")
	tl.expect("new")
}

func TestFollowRenameRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "messages")
	appendFile(t, path, "a1\n")
	tl := startFollow(t, path, FollowOptions{FromStart: true})
	tl.wait(1, 3*time.Second)
	appendFile(t, path, "a2\n")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	// The logger has not reopened yet: it keeps writing to the old file.
	appendFile(t, path+".1", "a3\n")
	time.Sleep(20 * time.Millisecond)
	appendFile(t, path+".1", "a4 no newline")
	appendFile(t, path, "b1\n")
	appendFile(t, path, "b2\n")
	tl.expect("a1", "a2", "a3", "a4 no newline", "b1", "b2")
	_, pos := tl.snapshot()
	if got, want := pos[5], posOf(t, path, 6); got != want {
		t.Errorf("pos after b2 = %+v, want %+v", got, want)
	}
	if got, want := pos[3], posOf(t, path+".1", int64(len("a1\na2\na3\na4 no newline"))); got != want {
		t.Errorf("pos after a4 = %+v, want %+v", got, want)
	}
}

func TestFollowCopyTruncate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	appendFile(t, path, "a fairly long first line\nanother long line\n")
	tl := startFollow(t, path, FollowOptions{FromStart: true})
	tl.wait(2, 3*time.Second)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "m1\n")
	tl.wait(3, 3*time.Second)
	appendFile(t, path, "m2\n")
	tl.expect("a fairly long first line", "another long line", "m1", "m2")
}

func TestFollowDeleteRecreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	appendFile(t, path, "x1\n")
	tl := startFollow(t, path, FollowOptions{FromStart: true})
	tl.wait(1, 3*time.Second)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	appendFile(t, path, "y1\n")
	appendFile(t, path, "y2\n")
	tl.expect("x1", "y1", "y2")
}

func TestFollowSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real") // the targets live elsewhere than the link
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	t1, t2 := filepath.Join(real, "log.1"), filepath.Join(real, "log.2")
	link := filepath.Join(dir, "messages")
	appendFile(t, t1, "t1 a\n")
	appendFile(t, t2, "t2 a\n")
	if err := os.Symlink(t1, link); err != nil {
		t.Fatal(err)
	}
	tl := startFollow(t, link, FollowOptions{FromStart: true, Poll: time.Hour})
	tl.wait(1, 3*time.Second)
	appendFile(t, t1, "t1 b\n") // a write to the target, seen through the link
	tl.wait(2, 3*time.Second)
	// Repoint the link atomically, as ln -sfn does.
	if err := os.Symlink(t2, link+".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(link+".tmp", link); err != nil {
		t.Fatal(err)
	}
	tl.wait(3, 3*time.Second)
	appendFile(t, t2, "t2 b\n") // seen only if the link was re-resolved
	tl.expect("t1 a", "t1 b", "t2 a", "t2 b")
}

func TestFollowCreatedLater(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "messages")
	waiting := make(chan struct{})
	var once sync.Once
	tl := startFollow(t, path, FollowOptions{Logf: func(format string, args ...any) {
		t.Logf(format, args...)
		if strings.Contains(format, "does not exist") {
			once.Do(func() { close(waiting) })
		}
	}})
	select {
	case <-waiting:
	case <-time.After(3 * time.Second):
		t.Fatal("Follow did not report waiting for the file")
	}
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "c1\nc2\n")
	tl.wait(2, 3*time.Second)
	appendFile(t, path, "c3\n")
	tl.expect("c1", "c2", "c3")
}

func TestFollowPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	appendFile(t, path, "")
	tl := startFollow(t, path, FollowOptions{FromStart: true})
	appendFile(t, path, "par")
	time.Sleep(100 * time.Millisecond)
	if got, _ := tl.snapshot(); len(got) != 0 {
		t.Fatalf("partial line delivered: %q", got)
	}
	appendFile(t, path, "tial\nnext")
	tl.wait(1, 3*time.Second)
	appendFile(t, path, "\n")
	tl.expect("partial", "next")
}

func TestFollowLongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	long := strings.Repeat("z", MaxLine+100)
	appendFile(t, path, long+"\nshort\n")
	tl := startFollow(t, path, FollowOptions{FromStart: true})
	tl.wait(2, 3*time.Second)
	got, pos := tl.snapshot()
	if got[0] != long[:MaxLine] || got[1] != "short" {
		t.Errorf("got lines of length %d, %d; want %d, 5", len(got[0]), len(got[1]), MaxLine)
	}
	if want := int64(len(long) + 1); pos[0].Offset != want {
		t.Errorf("pos after long line = %d, want %d", pos[0].Offset, want)
	}
}

// TestFollowResume stops Follow in the middle of a file, appends, and
// resumes from the last position delivered: every line exactly once.
func TestFollowResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "messages")
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprintf("line %d", i))
		appendFile(t, path, want[i]+"\n")
	}

	ctx, cancel := context.WithCancel(context.Background())
	var first []string
	var last Pos
	err := Follow(ctx, path, FollowOptions{FromStart: true}, func(line []byte, pos Pos) {
		first = append(first, string(line))
		last = pos
		if len(first) == 4 {
			cancel() // the daemon stops after processing this line
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 4 {
		t.Fatalf("got %d lines after cancelling at the 4th: %q", len(first), first)
	}
	for i := 10; i < 20; i++ {
		want = append(want, fmt.Sprintf("line %d", i))
		appendFile(t, path, want[i]+"\n")
	}
	tl := startFollow(t, path, FollowOptions{Start: &last})
	tl.wait(16, 3*time.Second)
	got, _ := tl.snapshot()
	if all := append(first, got...); !slices.Equal(all, want) {
		t.Fatalf("lines over two runs:\n got  %q\n want %q", all, want)
	}
}

// TestFollowResumeOtherFile resumes with a position in a file that was
// rotated away meanwhile: the new file must be read from its start.
func TestFollowResumeOtherFile(t *testing.T) {
	tests := []struct {
		name   string
		rotate func(t *testing.T, path string)
	}{
		{"renamed", func(t *testing.T, path string) {
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "messages")
			appendFile(t, path, "old 1\nold 2\nold 3\n")
			start := posOf(t, path, int64(len("old 1\nold 2\n")))
			tt.rotate(t, path)
			appendFile(t, path, "n1\n")
			tl := startFollow(t, path, FollowOptions{Start: &start})
			tl.wait(1, 3*time.Second)
			appendFile(t, path, "n2\n")
			tl.expect("n1", "n2")
		})
	}
}

func TestFollowStartError(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root can open any file")
	}
	path := filepath.Join(t.TempDir(), "messages")
	appendFile(t, path, "x\n")
	os.Chmod(path, 0)
	if err := Follow(context.Background(), path, FollowOptions{}, func([]byte, Pos) {}); err == nil {
		t.Fatal("Follow of an unreadable file returned nil")
	}
}
