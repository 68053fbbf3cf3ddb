package logsrc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kmsgSample is what reads of /dev/kmsg return, one record after another:
// a netfilter LOG line, a record with a dictionary, a message with
// escaped bytes, a line written from user space (facility 1), a record
// with extra header fields, and a gap in the sequence numbers.
const kmsgSample = "" +
	"4,1001,5123456789,-;DROP IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=192.0.2.7 DST=198.51.100.1 LEN=44 TOS=0x00 PREC=0x00 TTL=49 ID=1 PROTO=TCP SPT=40000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0 \n" +
	"6,1002,5123457000,-;e1000e 0000:00:19.0 eth0: NIC Link is Up\n" +
	" SUBSYSTEM=pci\n" +
	" DEVICE=+pci:0000:00:19.0\n" +
	"4,1003,5123458000,c;tab\\x09and backslash\\x5c and byte \\xff end\n" +
	"14,1004,5123459000,-;psad-go-test: forged IN=eth0 OUT=\n" +
	"3,1005,5123460000,-,caller=T1;with caller field\n" +
	"garbage without separator\n" +
	"6,1009,5123470000,-;after a gap\n"

func writeSample(t *testing.T, s string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kmsg")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type kmsgGot struct {
	seq, usec, lost uint64
	fac, lvl        int
	msg             string
}

func collectKmsg(t *testing.T, o KmsgOptions) []kmsgGot {
	t.Helper()
	var got []kmsgGot
	o.Logf = t.Logf
	err := Kmsg(context.Background(), o, func(r KmsgRecord) {
		got = append(got, kmsgGot{r.Seq, r.Usec, r.Lost, r.Facility, r.Level, string(r.Msg)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestKmsgParse(t *testing.T) {
	path := writeSample(t, kmsgSample)
	got := collectKmsg(t, KmsgOptions{Path: path, FromStart: true})
	want := []kmsgGot{
		{1001, 5123456789, 0, 0, 4, "DROP IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=192.0.2.7 DST=198.51.100.1 LEN=44 TOS=0x00 PREC=0x00 TTL=49 ID=1 PROTO=TCP SPT=40000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0 "},
		{1002, 5123457000, 0, 0, 6, "e1000e 0000:00:19.0 eth0: NIC Link is Up"},
		{1003, 5123458000, 0, 0, 4, "tab\tand backslash\\ and byte \xff end"},
		{1004, 5123459000, 0, 1, 6, "psad-go-test: forged IN=eth0 OUT="},
		{1005, 5123460000, 0, 0, 3, "with caller field"},
		{1009, 5123470000, 3, 0, 6, "after a gap"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
}

func TestKmsgAfterSeq(t *testing.T) {
	path := writeSample(t, kmsgSample)
	after := uint64(1003)
	got := collectKmsg(t, KmsgOptions{Path: path, AfterSeq: &after})
	if len(got) != 3 || got[0].seq != 1004 || got[0].lost != 0 {
		t.Fatalf("after seq 1003: got %+v, want records 1004, 1005, 1009", got)
	}
	after = 1000 - 5
	got = collectKmsg(t, KmsgOptions{Path: path, AfterSeq: &after})
	if len(got) != 6 || got[0].lost != 5 {
		t.Fatalf("after seq 995: got %+v, want 6 records, the first with 5 lost", got)
	}
}

func TestKmsgSeeksToEnd(t *testing.T) {
	path := writeSample(t, kmsgSample)
	if got := collectKmsg(t, KmsgOptions{Path: path}); len(got) != 0 {
		t.Fatalf("without FromStart got %d old records", len(got))
	}
}

// kmsgFake returns records and errors as /dev/kmsg would, one per read.
type kmsgFake []any

func (f *kmsgFake) Read(p []byte) (int, error) {
	if len(*f) == 0 {
		return 0, io.EOF
	}
	x := (*f)[0]
	switch x := x.(type) {
	case string:
		if len(p) < len(x) {
			return 0, syscall.EINVAL // and the record stays unread
		}
		*f = (*f)[1:]
		return copy(p, x), nil
	case error:
		*f = (*f)[1:]
		return 0, x
	}
	panic("bad fake")
}

func TestKmsgReadErrors(t *testing.T) {
	big := "6,12,3,-;" + strings.Repeat("b", 10000) + "\n"
	fake := kmsgFake{
		"6,10,1,-;first\n",
		&os.PathError{Op: "read", Path: "/dev/kmsg", Err: syscall.EPIPE},
		"6,11,2,-;after overrun\n",
		big, // too large for 8 KiB: EINVAL, then a retry with more room
		"6,13,4,-;last\n",
	}
	var seqs []uint64
	var lost uint64
	err := readKmsg(context.Background(), &fake, KmsgOptions{Logf: t.Logf}, func(r KmsgRecord) {
		seqs = append(seqs, r.Seq)
		lost += r.Lost
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs) != "[10 11 12 13]" {
		t.Errorf("seqs = %v", seqs)
	}

	fake = kmsgFake{"6,1,1,-;x\n", errors.New("boom")}
	if err := readKmsg(context.Background(), &fake, KmsgOptions{}, func(KmsgRecord) {}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("other read error: got %v", err)
	}
}

// TestKmsgCancel blocks Kmsg in a read of an empty FIFO, as on an idle
// /dev/kmsg, and checks that cancelling ends it.
func TestKmsgCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kmsg")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFO: %v", err)
	}
	// Held open read-write so that Kmsg's open does not wait for a writer
	// and its reads block instead of seeing EOF.
	w, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	runKmsgCancel(t, KmsgOptions{Path: path, FromStart: true}, func() {
		if _, err := w.WriteString("6,1,1,-;fifo record\n"); err != nil {
			t.Fatal(err)
		}
	}, "fifo record")
}

// runKmsgCancel runs Kmsg, calls write, waits for a record with msg, then
// cancels while Kmsg waits for more and checks that it returns.
func runKmsgCancel(t *testing.T, o KmsgOptions, write func(), msg string) KmsgRecord {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := make(chan KmsgRecord, 1)
	done := make(chan error, 1)
	o.Logf = t.Logf
	go func() {
		done <- Kmsg(ctx, o, func(r KmsgRecord) {
			if string(r.Msg) == msg {
				r.Msg = []byte(msg)
				seen <- r
			}
		})
	}()
	write()
	var r KmsgRecord
	select {
	case r = <-seen:
	case err := <-done:
		t.Fatalf("Kmsg returned early: %v", err)
	case <-time.After(2 * time.Second):
		t.Fatalf("record %q not read within 2s", msg)
	}
	time.Sleep(50 * time.Millisecond) // let it block in read again
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Kmsg after cancel: %v", err)
		}
		t.Logf("returned %v after cancel", time.Since(start))
	case <-time.After(time.Second):
		t.Fatal("Kmsg blocked in read did not return within 1s of cancel")
	}
	return r
}

// TestKmsgDevice writes a marker to the real /dev/kmsg and reads it back.
func TestKmsgDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: writing to /dev/kmsg needs root")
	}
	dev, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("skipping: /dev/kmsg not writable: %v", err)
	}
	defer dev.Close()
	if r, err := os.Open("/dev/kmsg"); err != nil {
		t.Skipf("skipping: /dev/kmsg not readable: %v", err)
	} else {
		r.Close()
	}
	marker := func(what string) string {
		return fmt.Sprintf("psad-go-test: %s %s", what, rand.Text())
	}
	write := func(msg string) {
		t.Helper()
		// Level 6 (info), facility 0 asked for; the kernel makes it 1.
		if _, err := fmt.Fprintf(dev, "<6>%s\n", msg); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("new", func(t *testing.T) {
		old, msg := marker("before start"), marker("after start")
		write(old)
		var sawOld bool
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		seen := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- Kmsg(ctx, KmsgOptions{}, func(r KmsgRecord) {
				switch string(r.Msg) {
				case old:
					sawOld = true
				case msg:
					close(seen)
				}
			})
		}()
		time.Sleep(100 * time.Millisecond) // let Kmsg seek to the end
		write(msg)
		select {
		case <-seen:
		case <-time.After(2 * time.Second):
			t.Fatal("marker not read within 2s")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if sawOld {
			t.Error("a record logged before Kmsg started was delivered")
		}
	})

	t.Run("cancel", func(t *testing.T) {
		msg := marker("cancel")
		boot, err := BootTime()
		if err != nil {
			t.Fatal(err)
		}
		r := runKmsgCancel(t, KmsgOptions{FromStart: true}, func() { write(msg) }, msg)
		if r.Facility != 1 || r.Level != 6 || r.Kernel() {
			t.Errorf("facility %d level %d kernel %v; want a user-space record, 1/6", r.Facility, r.Level, r.Kernel())
		}
		// The record's time, from BootTime, is about now.
		if d := time.Since(boot.Add(time.Duration(r.Usec) * time.Microsecond)); d < -time.Second || d > 3*time.Second {
			t.Errorf("record time is %v from now", d)
		}
		t.Logf("%s", KmsgLine(nil, r, boot, "host"))
	})
}

func TestKmsgLine(t *testing.T) {
	boot := time.Date(2024, 3, 1, 20, 0, 0, 0, time.Local)
	tests := []struct {
		usec uint64
		host string
		want string
	}{
		{2111_000123, "fw", "Mar  1 20:35:11 fw kernel: [ 2111.000123] DROP IN=eth0"},
		{5_000000, "", "Mar  1 20:00:05 localhost kernel: [    5.000000] DROP IN=eth0"},
		{123456_789012, "fw", "Mar  3 06:17:36 fw kernel: [123456.789012] DROP IN=eth0"},
	}
	for _, tt := range tests {
		got := string(KmsgLine(nil, KmsgRecord{Usec: tt.usec, Msg: []byte("DROP IN=eth0")}, boot, tt.host))
		if got != tt.want {
			t.Errorf("KmsgLine(%d):\n got  %q\n want %q", tt.usec, got, tt.want)
		}
	}
}
