package notify

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/psadgo/psad/internal/alert/mail"
	"github.com/psadgo/psad/internal/psaddir"
	"github.com/psadgo/psad/internal/scan"
)

type kind uint8

const (
	kindSyslog kind = iota
	kindFiles
	kindMail
	kindScript
	kindStdout
	kindPorts
	kindRetire
)

// job is one piece of I/O for the worker.
type job struct {
	kind kind
	line string // kindSyslog; kindMail: syslog line sent once the mail is out
	// kindFiles: files written atomically under dir, made first; kindMail:
	// files written so once the mail is out. source says dir is a
	// per-source directory (see writeFiles).
	dir    string
	files  []file
	source bool
	mail   *mail.Message
	addr   netip.Addr  // kindScript
	data   []byte      // kindStdout
	gone   []scan.Gone // kindRetire: sources whose directories go
}

type file struct {
	name string
	data []byte
	// steady files usually hold the same as the last alert wrote
	// (danger_level, start_time, the OS guesses, whois): each is read
	// back first and left alone when it holds data already.
	steady bool
}

// counts is what a job adds to a Counts.
func (j *job) counts() Counts {
	switch j.kind {
	case kindSyslog:
		return Counts{SyslogLines: 1}
	case kindFiles:
		return Counts{Files: len(j.files)}
	case kindMail:
		c := Counts{Mails: 1, Files: len(j.files)}
		if j.line != "" {
			c.SyslogLines = 1
		}
		return c
	case kindScript:
		return Counts{Scripts: 1}
	}
	return Counts{}
}

func (c *Counts) add(d Counts, sign int) {
	c.Mails += sign * d.Mails
	c.SyslogLines += sign * d.SyslogLines
	c.Files += sign * d.Files
	c.Scripts += sign * d.Scripts
}

// closeGrace is how long Close waits, after its context is done and
// in-flight sends are cancelled, for the worker to notice. Every sender
// honours cancellation (mail) or is local and quick (files, syslog), so
// this only bounds a misbehaving one.
const closeGrace = time.Second

// tryEnqueue queues j unless the queue is full or closed, and says
// whether it did; nothing is counted as dropped.
func (n *Notifier) tryEnqueue(j job) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	select {
	case n.queue <- j:
		n.pending.add(j.counts(), 1)
		return true
	default:
		return false
	}
}

// enqueue hands a job to the local worker without waiting: a full queue,
// or a closed Notifier, drops the job and counts it. With Config.Wait it
// waits for room instead; only Batch's goroutine enqueues.
func (n *Notifier) enqueue(j job) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed && n.cfg.Wait {
		n.pending.add(j.counts(), 1)
		n.mu.Unlock()
		n.queue <- j
		n.mu.Lock()
		return
	}
	if !n.closed {
		select {
		case n.queue <- j:
			n.pending.add(j.counts(), 1)
			return
		default:
		}
	}
	n.sum.Dropped.add(j.counts(), 1)
	// A full queue drops a lot at once: say so on the first drop and
	// then every 1000th, not for each item.
	n.drops++
	if n.drops == 1 || n.drops%1000 == 0 {
		what := "alert output queue full"
		if n.closed {
			what = "alert output after shutdown"
		}
		n.cfg.Log.Warn(what+", dropping", "kind", j.kind.String(), "dropped so far", n.sum.Dropped)
	}
}

func (k kind) String() string {
	return [...]string{"syslog", "files", "mail", "script", "stdout", "ports", "retire"}[k]
}

// mailQueueBytes bounds the mail waiting for the mail worker by what it
// holds (messages and the files written once they are out), not by
// count: psad sends every alert mail, so a burst of a few thousand (a
// busy minute, or a log read in after a restart) must all go out, while a
// flood of them must not take the memory. 32 MiB is about 8,000 alerts.
const mailQueueBytes = 32 << 20

// size is what a mail job holds, for mailQueueBytes.
func (j *job) size() int {
	n := 256 + len(j.line) + len(j.dir)
	for _, f := range j.files {
		n += len(f.name) + len(f.data)
	}
	if m := j.mail; m != nil {
		n += len(m.From) + len(m.Subject) + len(m.Body)
		for _, to := range m.To {
			n += len(to)
		}
	}
	return n
}

// mailQueue is the FIFO from the local worker to the mail worker.
type mailQueue struct {
	mu     sync.Mutex
	jobs   []job
	head   int
	bytes  int
	limit  int
	closed bool
	wake   chan struct{} // a job or close is waiting; capacity 1
}

func newMailQueue(limit int) *mailQueue {
	return &mailQueue{limit: limit, wake: make(chan struct{}, 1)}
}

// push queues j unless that would pass the byte limit.
func (q *mailQueue) push(j job) bool {
	size := j.size()
	q.mu.Lock()
	if q.bytes > 0 && q.bytes+size > q.limit {
		q.mu.Unlock()
		return false
	}
	q.jobs = append(q.jobs, j)
	q.bytes += size
	q.mu.Unlock()
	q.signal()
	return true
}

func (q *mailQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop waits for the next job; false once the queue is closed and empty.
func (q *mailQueue) pop() (job, bool) {
	for {
		q.mu.Lock()
		if q.head < len(q.jobs) {
			j := q.jobs[q.head]
			q.jobs[q.head] = job{}
			q.head++
			q.bytes -= j.size()
			switch {
			case q.head == len(q.jobs):
				// Drained: start again at the front of the array, and
				// let a burst's large array go.
				q.jobs, q.head = q.jobs[:0], 0
				if cap(q.jobs) > 1024 {
					q.jobs = nil
				}
			case q.head >= 1024 && 2*q.head >= len(q.jobs):
				// Never drained (a steady stream): move the waiting jobs
				// to the front, or the array would grow with every mail.
				n := copy(q.jobs, q.jobs[q.head:])
				clear(q.jobs[n:])
				q.jobs, q.head = q.jobs[:n], 0
			}
			q.mu.Unlock()
			return j, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return job{}, false
		}
		<-q.wake
	}
}

func (q *mailQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// run is the local worker: syslog, files, script, stdout, in the order
// Batch queued them. A mail job is passed on to the mail worker when
// everything queued before it is done, so an alert's files exist before
// its mail goes out, while a slow mail server holds up only mail.
func (n *Notifier) run() {
	defer n.mailq.close()
	mailDrops := 0
	for j := range n.queue {
		var done, failed, dropped Counts
		switch {
		case n.ctx.Err() != nil:
			dropped = j.counts()
		case j.kind == kindMail:
			if n.mailq.push(j) {
				continue // still pending, now the mail worker's
			}
			// A slow mail server makes a run of these: say so on the
			// first and then every 1000th, as enqueue does.
			if mailDrops++; mailDrops == 1 || mailDrops%1000 == 0 {
				n.cfg.Log.Warn("alert mail queue full, dropping", "subject", j.mail.Subject, "mails dropped so far", mailDrops)
			}
			dropped = j.counts()
		default:
			done, failed, dropped = n.do(&j)
		}
		n.finish(&j, done, failed, dropped)
	}
}

// runMail is the mail worker.
func (n *Notifier) runMail() {
	defer close(n.done)
	for {
		j, ok := n.mailq.pop()
		if !ok {
			return
		}
		var done, failed, dropped Counts
		if n.ctx.Err() != nil {
			dropped = j.counts()
		} else {
			done, failed, dropped = n.do(&j)
		}
		n.finish(&j, done, failed, dropped)
	}
}

func (n *Notifier) finish(j *job, done, failed, dropped Counts) {
	n.mu.Lock()
	n.pending.add(j.counts(), -1)
	n.sum.Done.add(done, 1)
	n.sum.Failed.add(failed, 1)
	n.sum.Dropped.add(dropped, 1)
	n.mu.Unlock()
}

// do runs one job and says how its items ended.
func (n *Notifier) do(j *job) (done, failed, dropped Counts) {
	log := n.cfg.Log
	switch j.kind {
	case kindSyslog:
		if err := n.sendSyslog(j.line); err != nil {
			log.Error("sending syslog alert", "err", err)
			return Counts{}, Counts{SyslogLines: 1}, Counts{}
		}
		return Counts{SyslogLines: 1}, Counts{}, Counts{}
	case kindFiles:
		done.Files, failed.Files = n.writeFiles(j.dir, j.files, j.source)
		return done, failed, Counts{}
	case kindMail:
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.MailTimeout)
		err := n.cfg.Mailer.Send(ctx, j.mail)
		cancel()
		switch {
		case err != nil && n.ctx.Err() != nil:
			log.Warn("alert mail cut off by shutdown", "subject", j.mail.Subject, "err", err)
			return Counts{}, Counts{}, j.counts()
		case err != nil:
			log.Error("sending alert mail", "subject", j.mail.Subject, "err", err)
			return Counts{}, j.counts(), Counts{}
		}
		done.Mails = 1
		if len(j.files) > 0 {
			done.Files, failed.Files = n.writeFiles(j.dir, j.files, j.source)
		}
		if j.line != "" {
			if err := n.sendSyslog(j.line); err != nil {
				log.Error("sending syslog alert", "err", err)
				failed.SyslogLines = 1
			} else {
				done.SyslogLines = 1
			}
		}
		return done, failed, Counts{}
	case kindScript:
		n.cfg.Script.Alerted(j.addr)
		return Counts{Scripts: 1}, Counts{}, Counts{}
	case kindStdout:
		if _, err := n.cfg.Stdout.Write(j.data); err != nil {
			log.Error("writing alert to stdout", "err", err)
		}
	case kindPorts:
		n.refreshPorts()
	case kindRetire:
		sourceDirs.Lock()
		defer sourceDirs.Unlock()
		for _, g := range j.gone {
			if err := n.cfg.Retire(g); err != nil {
				log.Error("directory of a forgotten source left in place", "err", err)
			}
		}
	}
	return Counts{}, Counts{}, Counts{}
}

// sourceDirs serialises the writing and removal of per-source
// directories: both workers of a Notifier write there (alert files,
// email counters), and so do an old Notifier's during a reload, and a
// directory's spare file takes one writer at a time.
var sourceDirs sync.Mutex

// writeFiles makes dir and writes files into it atomically, logging
// what fails. A per-source directory (source) is written through
// psaddir.SourceDir, its steady files only when they changed.
func (n *Notifier) writeFiles(dir string, files []file, source bool) (done, failed int) {
	if !source {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			n.cfg.Log.Error("alert files not written", "dir", dir, "err", err)
			return 0, len(files)
		}
		for _, f := range files {
			path := filepath.Join(dir, f.name)
			if err := WriteAtomic(path, f.data); err != nil {
				n.cfg.Log.Error("alert file not written", "path", path, "err", err)
				failed++
			} else {
				done++
			}
		}
		return done, failed
	}
	sourceDirs.Lock()
	defer sourceDirs.Unlock()
	d, err := psaddir.OpenSourceDir(dir)
	if err != nil {
		n.cfg.Log.Error("alert files not written", "dir", dir, "err", err)
		return 0, len(files)
	}
	defer d.Close()
	for _, f := range files {
		if f.steady && d.Holds(f.name, f.data) {
			done++
			continue
		}
		if err := d.Replace(f.name, f.data); err != nil {
			n.cfg.Log.Error("alert file not written", "dir", dir, "file", f.name, "err", err)
			failed++
		} else {
			done++
		}
	}
	return done, failed
}

// sendSyslog sends one line; both workers send (the mail worker its
// after-mail lines), and Syslog need not be safe for concurrent use.
func (n *Notifier) sendSyslog(line string) error {
	n.syslogMu.Lock()
	defer n.syslogMu.Unlock()
	return n.cfg.Syslog.Send(line)
}

// Close stops accepting work and lets the worker finish the queue until
// ctx is done; then it cancels the send in flight, drops the rest, and
// returns (and logs) what became of everything. It returns within
// closeGrace of ctx being done. Calling it again returns the summary.
func (n *Notifier) Close(ctx context.Context) Summary {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.queue)
	}
	n.mu.Unlock()
	select {
	case <-n.done:
	case <-ctx.Done():
		n.cancel()
		select {
		case <-n.done:
		case <-time.After(closeGrace):
			n.cfg.Log.Error("alert output worker did not stop after cancel; abandoning it")
		}
	}
	n.cancel()
	n.mu.Lock()
	s := n.sum
	// Whatever the worker has not finished is lost.
	s.Dropped.add(n.pending, 1)
	n.mu.Unlock()
	if !s.Dropped.zero() || !s.Failed.zero() {
		n.cfg.Log.Warn("alert output not delivered", "dropped", s.Dropped, "failed", s.Failed)
	}
	return s
}

// Summary returns the counts so far, without the work still queued.
func (n *Notifier) Summary() Summary {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sum
}

// String is the one-line account Close logs.
func (c Counts) String() string {
	return fmt.Sprintf("%d mails, %d syslog lines, %d files, %d script runs", c.Mails, c.SyslogLines, c.Files, c.Scripts)
}

// WriteAtomic replaces path with data through a temporary file and a
// rename, so readers (psad -S, other tools, scripts) never see half a
// file.
func WriteAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(fmt.Errorf("renaming %s: %w", tmp, err), os.Remove(tmp))
	}
	return nil
}
