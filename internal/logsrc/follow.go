package logsrc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Pos is a resume point in a followed file: the file's identity and the
// offset just after the last line handed out. The daemon stores it after
// processing a line and passes it back as [FollowOptions.Start] after a
// restart, so no line is lost or read twice.
type Pos struct {
	Dev, Inode uint64
	Offset     int64
}

// FollowOptions tune [Follow].
type FollowOptions struct {
	// Start resumes at Start.Offset if the file at the path is still the
	// file Start was taken from (same device and inode) and is at least
	// that long. If it is another file (rotated while we were away) or it
	// shrank, reading starts at offset 0 of the current file so that no
	// line written after the rotation is lost. Nil means start at the end
	// of the file, psad's behaviour (3.4.1: existing content is for -A).
	Start *Pos
	// FromStart starts at offset 0 instead of the end when Start is nil
	// (tests, replays).
	FromStart bool
	// Poll is how often the file is checked without a file system event:
	// the only mechanism when inotify is unavailable, and otherwise a
	// safety net for what inotify does not report (writes to a rotated
	// file under another name, symlinks through other directories, a
	// full event queue). Default 250ms: rotation and truncation checks
	// are a few syscalls each, and a quarter second bounds the latency.
	Poll time.Duration
	// Logf receives diagnostics (waiting for the file, rotation,
	// truncation, reopen problems). May be nil.
	Logf func(format string, args ...any)
	// Ready, when set, is called once the file is open and positioned (or
	// found missing and watched for): every line written after that is
	// read.
	Ready func()
}

const defaultPoll = 250 * time.Millisecond

// Follow tails path, calling sink once per complete line (without the
// line ending; a trailing CR is dropped too), in file order, until ctx is
// done; it then returns nil. It returns an error only when the file
// cannot be opened at start for a reason other than not existing, or
// when reading fails.
//
// sink runs on the goroutine that called Follow, one call at a time; the
// line slice is valid only during the call. pos is the position just
// after the line, for [FollowOptions.Start]. Once ctx is done sink is
// not called again, so the last pos seen is exactly what was delivered.
//
// path may be a symlink: the target is followed, and the link is
// re-resolved when the file behind it changes. Follow handles:
//   - rename+create rotation: the old file is read to EOF (including
//     lines written to it after the rename), then the new file is read
//     from offset 0. What is written to the old file after Follow has
//     moved on is not read (as with tail -F); loggers reopen their file
//     when told of the rotation, before or just after it is created;
//   - copytruncate: when the file becomes shorter than the read offset,
//     reading restarts at 0 (if it is refilled past the old offset before
//     the next check, the truncation cannot be seen);
//   - delete+recreate, and a file that does not exist yet: Follow waits
//     and reads the new file from offset 0;
//   - a last line without a newline: held until its newline arrives. If
//     the file is rotated first, the held text is delivered as a line.
//
// These are the recommendations of the spec's 3.5 (check every time, finish
// the old descriptor, read the new file from the beginning) rather than
// psad 2.4.6's every-10th-iteration, seek-to-end behaviour. Lines longer
// than [MaxLine] are cut to MaxLine. path must be a regular file, not a
// FIFO.
func Follow(ctx context.Context, path string, o FollowOptions, sink func(line []byte, pos Pos)) error {
	if o.Poll <= 0 {
		o.Poll = defaultPoll
	}
	fl := &follower{
		path:    path,
		o:       o,
		sink:    sink,
		done:    ctx.Done(),
		buf:     make([]byte, 64<<10),
		watched: map[string]bool{},
	}
	defer fl.close()
	w, err := fsnotify.NewWatcher()
	if err != nil {
		fl.logf("follow %s: no inotify (%v), polling every %v", path, err, o.Poll)
	} else {
		fl.w = w
	}
	if err := fl.openFirst(); err != nil {
		return err
	}
	fl.watch()
	if o.Ready != nil {
		o.Ready()
	}

	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if fl.w != nil {
		events, errs = fl.w.Events, fl.w.Errors
	}
	for {
		if err := fl.step(); err != nil {
			return err
		}
		if fl.stopped() {
			return nil
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return nil
			case ev, ok := <-events:
				if !ok {
					events = nil
					continue
				}
				if fl.relevant(ev) {
					break wait
				}
			case err, ok := <-errs:
				if !ok {
					errs = nil
					continue
				}
				// Typically an inotify queue overflow: events were lost,
				// so look at the file now.
				fl.logf("follow %s: inotify: %v", path, err)
				break wait
			case <-tick.C:
				if fl.f == nil {
					// The directory may have appeared since.
					fl.watch()
				}
				break wait
			}
		}
	}
}

// fileID identifies a file across renames.
type fileID struct{ dev, ino uint64 }

// follower is the state of one Follow call; it is used by that call's
// goroutine only.
type follower struct {
	path string
	o    FollowOptions
	sink func([]byte, Pos)
	done <-chan struct{}

	f   *os.File // nil while the path does not exist
	id  fileID
	off int64 // file offset of the next byte to read

	buf      []byte
	pending  []byte // text after the last newline read, at most MaxLine+1 (see hold)
	skip     bool   // discard text up to the next newline (started mid-line)
	openErr  string // last reopen error logged, to log each one once
	watchErr string // likewise for watch errors

	w       *fsnotify.Watcher
	watched map[string]bool // directories watched
	names   [2]string       // base names that matter in those directories
}

func (fl *follower) logf(format string, args ...any) {
	if fl.o.Logf != nil {
		fl.o.Logf(format, args...)
	}
}

func (fl *follower) stopped() bool {
	select {
	case <-fl.done:
		return true
	default:
		return false
	}
}

func (fl *follower) close() {
	if fl.f != nil {
		fl.f.Close()
	}
	if fl.w != nil {
		fl.w.Close()
	}
}

// openFirst opens the file at start and positions it according to Start
// and FromStart. A missing file is not an error: it is waited for.
func (fl *follower) openFirst() error {
	f, err := os.Open(fl.path)
	if errors.Is(err, fs.ErrNotExist) {
		fl.logf("follow %s: does not exist yet, waiting for it", fl.path)
		return nil
	}
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("follow: %w", err)
	}
	fl.f, fl.id = f, idOf(fi)
	var off int64
	switch s := fl.o.Start; {
	case s != nil:
		if s.Dev == fl.id.dev && s.Inode == fl.id.ino && fi.Size() >= s.Offset {
			off = s.Offset
		} else {
			fl.logf("follow %s: resume point is for another file or beyond its end, reading from the start", fl.path)
		}
	case fl.o.FromStart:
	default:
		off = fi.Size()
		// Starting in the middle of a line would hand out its tail as a
		// line of its own; skip to the next line instead.
		var last [1]byte
		if off > 0 {
			if _, err := f.ReadAt(last[:], off-1); err == nil && last[0] != '\n' {
				fl.skip = true
			}
		}
	}
	if off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return fmt.Errorf("follow: %w", err)
		}
	}
	fl.off = off
	return nil
}

// reopen opens the file that now sits at the path, from offset 0, and
// reports whether there is one.
func (fl *follower) reopen() bool {
	f, err := os.Open(fl.path)
	if err == nil {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil {
			fl.f, fl.id, fl.off, fl.openErr = f, idOf(fi), 0, ""
			fl.watch()
			return true
		}
		f.Close()
	}
	if !errors.Is(err, fs.ErrNotExist) && err.Error() != fl.openErr {
		// Permissions can be wrong for a moment while a rotation tool
		// creates the file; keep trying at the poll interval.
		fl.openErr = err.Error()
		fl.logf("follow %s: %v; retrying", fl.path, err)
	}
	return false
}

// step reads everything that is available and switches to a new file at
// the path when there is one.
func (fl *follower) step() error {
	for !fl.stopped() {
		if fl.f == nil && !fl.reopen() {
			return nil
		}
		if err := fl.read(); err != nil {
			return err
		}
		fi, err := os.Stat(fl.path)
		if err != nil || idOf(fi) == fl.id {
			// Same file, or nothing at the path (deleted, or renamed and
			// not yet recreated): stay on the open descriptor, which may
			// still be written to.
			return nil
		}
		// Rotated. Writers may have added to the old file since the read
		// above; finish it before moving on.
		if err := fl.read(); err != nil {
			return err
		}
		if len(fl.pending) > 0 && !fl.skip && !fl.stopped() {
			fl.sink(fl.pending[:min(len(fl.pending), MaxLine)], Pos{fl.id.dev, fl.id.ino, fl.off})
		}
		fl.pending, fl.skip = fl.pending[:0], false
		fl.logf("follow %s: file was rotated or replaced, reading the new one from the start", fl.path)
		fl.f.Close()
		fl.f = nil
	}
	return nil
}

// read reads the open file to EOF, restarting at offset 0 if the file was
// truncated below the read offset.
func (fl *follower) read() error {
	if fi, err := fl.f.Stat(); err == nil && fi.Size() < fl.off {
		fl.logf("follow %s: file shrank from %d to %d bytes (truncated), reading from the start", fl.path, fl.off, fi.Size())
		if _, err := fl.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("follow: %w", err)
		}
		fl.off, fl.pending, fl.skip = 0, fl.pending[:0], false
	}
	for {
		n, err := fl.f.Read(fl.buf)
		if n > 0 && !fl.consume(fl.buf[:n]) {
			return nil
		}
		if err == io.EOF || (err == nil && n == 0) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("follow: %w", err)
		}
	}
}

// consume splits chunk, which starts at fl.off, into lines and hands
// them out. It reports false when ctx is done.
func (fl *follower) consume(chunk []byte) bool {
	base := fl.off
	fl.off += int64(len(chunk))
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			fl.hold(chunk)
			return true
		}
		end := base + int64(i) + 1
		line := chunk[:i]
		chunk, base = chunk[i+1:], end
		if fl.skip {
			fl.pending, fl.skip = fl.pending[:0], false
			continue
		}
		if len(fl.pending) > 0 {
			fl.hold(line)
			line = fl.pending
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > MaxLine {
			line = line[:MaxLine]
		}
		if fl.stopped() {
			return false
		}
		fl.sink(line, Pos{fl.id.dev, fl.id.ino, end})
		fl.pending = fl.pending[:0]
	}
	return true
}

// hold keeps the start of an incomplete line, up to MaxLine+1 bytes: one
// more than is handed out, so that a CR there, which is dropped only when
// it ends the line, is cut off with the rest instead of taking the last
// byte kept with it.
func (fl *follower) hold(b []byte) {
	if room := MaxLine + 1 - len(fl.pending); room < len(b) {
		b = b[:max(room, 0)]
	}
	fl.pending = append(fl.pending, b...)
}

// watch points the directory watches at the path's directory and, for a
// symlink, the target's directory. Directories rather than the file: a
// watch on a file follows its inode away on rename and sees nothing of a
// file created later.
func (fl *follower) watch() {
	if fl.w == nil {
		return
	}
	want := map[string]bool{filepath.Dir(fl.path): true}
	fl.names = [2]string{filepath.Base(fl.path), filepath.Base(fl.path)}
	if t, err := filepath.EvalSymlinks(fl.path); err == nil {
		want[filepath.Dir(t)] = true
		fl.names[1] = filepath.Base(t)
	}
	for d := range want {
		if !fl.watched[d] {
			if err := fl.w.Add(d); err != nil {
				if err.Error() != fl.watchErr {
					fl.watchErr = err.Error()
					fl.logf("follow %s: cannot watch %s (%v), polling", fl.path, d, err)
				}
				continue
			}
			fl.watched[d] = true
		}
	}
	for d := range fl.watched {
		if !want[d] {
			fl.w.Remove(d)
			delete(fl.watched, d)
		}
	}
}

// relevant reports whether ev may concern the followed file. Watching a
// directory such as /var/log reports writes to every log in it; only
// writes to the file's own names matter, plus any create, rename or
// remove (cheap to check, and how rotations show up).
func (fl *follower) relevant(ev fsnotify.Event) bool {
	if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Remove) {
		return true
	}
	b := filepath.Base(ev.Name)
	return b == fl.names[0] || b == fl.names[1]
}
