package notify

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/psadgo/psad/internal/alert/mail"
	"github.com/psadgo/psad/internal/scan"
)

// TestWriteFilesSkipsSameContent: a steady file that already holds
// what an alert writes is left alone (the same inode, no temporary
// file), and any difference (content, length, mode, a link in its
// place) rewrites it; other files are always written.
func TestWriteFilesSkipsSameContent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "192.0.2.1")
	n := &Notifier{}
	write := func(name, data string) {
		t.Helper()
		if done, failed := n.writeFiles(dir, []file{{name: name, data: []byte(data), steady: !strings.HasSuffix(name, "_packet_ctr")}}, true); done != 1 || failed != 0 {
			t.Fatalf("writeFiles(%s) = %d done, %d failed", name, done, failed)
		}
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != data {
			t.Fatalf("%s holds %q, %v; want %q", name, b, err, data)
		}
	}
	inode := func(name string) uint64 {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	path := filepath.Join(dir, "198.51.100.7_start_time")
	write("198.51.100.7_start_time", "1700000000\n")
	first := inode("198.51.100.7_start_time")
	write("198.51.100.7_start_time", "1700000000\n")
	if inode("198.51.100.7_start_time") != first {
		t.Error("the same content was written again")
	}
	for _, tt := range []struct {
		name    string
		prepare func()
		data    string
	}{
		{"other content", func() {}, "1700000001\n"},
		{"longer", func() {}, "1700000001\n\n"},
		{"shorter", func() {}, "1700000001\n"[:5]},
		{"mode", func() { os.Chmod(path, 0o644) }, "17000"},
		{"symbolic link", func() {
			target := filepath.Join(t.TempDir(), "elsewhere")
			os.WriteFile(target, []byte("link\n"), 0o600)
			os.Remove(path)
			os.Symlink(target, path)
		}, "link\n"},
	} {
		tt.prepare()
		before := inode("198.51.100.7_start_time")
		write("198.51.100.7_start_time", tt.data)
		if inode("198.51.100.7_start_time") == before {
			t.Errorf("%s: the file was not rewritten", tt.name)
		}
		if fi, err := os.Lstat(path); err != nil || fi.Mode() != 0o600 {
			t.Errorf("%s: mode %v, %v after the write", tt.name, fi.Mode(), err)
		}
	}
	write("198.51.100.7_packet_ctr", "INPUT_eth0_tcp:  1\n")
	ctr := inode("198.51.100.7_packet_ctr")
	write("198.51.100.7_packet_ctr", "INPUT_eth0_tcp:  1\n")
	if inode("198.51.100.7_packet_ctr") == ctr {
		t.Error("a file that is not steady was not written")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(m) != 0 {
		t.Errorf("temporary files left: %q", m)
	}
}

// blockingMailer holds every Send until release is closed.
type blockingMailer struct{ release chan struct{} }

func (b blockingMailer) Send(ctx context.Context, _ *mail.Message) error {
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// alertBurst hands n one batch in which srcs sources each scanned five
// ports, and waits (in a synctest bubble) until the local worker has
// handed on or dropped every mail.
func alertBurst(n *Notifier, srcs int) {
	tr := scan.NewTracker(scan.DefaultSettings())
	for i := range srcs {
		scanner(tr, netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}).String(), 5)
	}
	n.Batch(closed(tr))
	synctest.Wait()
}

// TestMailQueueFullLogsRarely: with the mail server stuck, the mails
// that find the mail queue full (here 64 KiB) are counted and logged on
// the first drop and every 1000th, not one line each.
func TestMailQueueFullLogsRarely(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig(t)
		cfg.Dir = ""
		bm := blockingMailer{release: make(chan struct{})}
		cfg.Mailer = bm
		cfg.QueueLen = 4000
		cfg.MailQueueBytes = 64 << 10
		var logBuf bytes.Buffer
		var mu sync.Mutex
		cfg.Log = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logBuf}, nil))
		n := New(cfg, nil)
		const srcs = 2500
		alertBurst(n, srcs)
		dropped := n.Summary().Dropped.Mails
		// Each mail holds at least its 256-byte share of overhead, so no
		// more than 256 fit in 64 KiB, and at least one does.
		if dropped < srcs-1-256 || dropped >= srcs-1 {
			t.Fatalf("%d of %d mails dropped with 64 KiB of queue", dropped, srcs)
		}
		mu.Lock()
		lines := strings.Count(logBuf.String(), "alert mail queue full")
		mu.Unlock()
		if want := 1 + dropped/1000; lines != want {
			t.Errorf("%d log lines for %d dropped mails, want %d", lines, dropped, want)
		}
		close(bm.release)
		if sum := n.Close(context.Background()); sum.Done.Mails != srcs-dropped || sum.Dropped.Mails != dropped {
			t.Errorf("summary %+v, want %d mails sent and %d dropped", sum, srcs-dropped, dropped)
		}
	})
}

// TestMailBurstAllSent: a burst of 2,500 alert mails while the mail
// program is busy is queued whole and sent, as psad sends every alert
// mail. (A queue of 256 mails once dropped nine in ten of such a burst
// when a log was read in after a restart.)
func TestMailBurstAllSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig(t)
		cfg.Dir = ""
		bm := blockingMailer{release: make(chan struct{})}
		cfg.Mailer = bm
		cfg.QueueLen = 10000 // the burst's syslog lines and mails, all at once
		n := New(cfg, nil)
		const srcs = 2500
		alertBurst(n, srcs)
		if d := n.Summary().Dropped; !d.zero() {
			t.Fatalf("dropped %+v while the mail program was busy", d)
		}
		close(bm.release)
		if sum := n.Close(context.Background()); sum.Done.Mails != srcs || !sum.Dropped.zero() || !sum.Failed.zero() {
			t.Errorf("summary %+v, want all %d mails sent", sum, srcs)
		}
	})
}

// TestMailQueueSteadyStream: a queue that never drains (a job pushed for
// every one popped, always 10 waiting) keeps its array small and its
// order.
func TestMailQueueSteadyStream(t *testing.T) {
	q := newMailQueue(1 << 20)
	next := 0
	push := func() {
		if !q.push(job{kind: kindMail, line: strconv.Itoa(next)}) {
			t.Fatalf("push %d refused", next)
		}
		next++
	}
	for range 10 {
		push()
	}
	for i := range 100_000 {
		j, ok := q.pop()
		if !ok || j.line != strconv.Itoa(i) {
			t.Fatalf("pop %d: %q, %v", i, j.line, ok)
		}
		push()
	}
	if c := cap(q.jobs); c > 4096 {
		t.Errorf("array of %d jobs for 10 waiting", c)
	}
	if want := 10 * (256 + 6); q.bytes > want || q.bytes < 10*256 {
		t.Errorf("%d bytes counted for 10 jobs", q.bytes)
	}
}
