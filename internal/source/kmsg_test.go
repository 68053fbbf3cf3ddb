package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kmsgRecords are reads of /dev/kmsg: kernel records, one written from
// user space (facility 1), a dictionary line.
const kmsgRecords = "" +
	"4,1001,5000000,-;DROP IN=eth0 OUT= SRC=192.0.2.1 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=22 SYN \n" +
	"6,1002,6000000,-;e1000e eth0: NIC Link is Up\n" +
	" SUBSYSTEM=net\n" +
	"14,1003,7000000,-;psad-go-test: forged IN=eth0 OUT=\n" +
	"4,1004,8000000,-;DROP IN=eth0 OUT= SRC=192.0.2.2 DST=198.51.100.1 PROTO=UDP SPT=1 DPT=53 \n" +
	"4,1005,9000000,-;DROP IN=eth0 OUT= SRC=192.0.2.3 DST=198.51.100.1 PROTO=UDP SPT=1 DPT=53 \n"

var kmsgBoot = time.Date(2026, 3, 1, 20, 0, 0, 0, time.Local)

func kmsgFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kmsg")
	if err := os.WriteFile(path, []byte(kmsgRecords), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func newKmsg(t *testing.T, path, boot string, pos []byte) *Kmsg {
	t.Helper()
	k := NewKmsg(KmsgConfig{Path: path, BootID: boot, Boot: kmsgBoot, Host: "fw", FromStart: true}, nil)
	if err := k.Resume(pos); err != nil {
		t.Fatalf("Resume(%q): %v", pos, err)
	}
	return k
}

func TestKmsg(t *testing.T) {
	path := kmsgFile(t)
	k := newKmsg(t, path, "boot-a", nil)
	all := runAll(t, k)
	want := []string{
		"Mar  1 20:00:05 fw kernel: [    5.000000] DROP IN=eth0 OUT= SRC=192.0.2.1 DST=198.51.100.1 PROTO=TCP SPT=1 DPT=22 SYN ",
		"Mar  1 20:00:06 fw kernel: [    6.000000] e1000e eth0: NIC Link is Up",
		"Mar  1 20:00:08 fw kernel: [    8.000000] DROP IN=eth0 OUT= SRC=192.0.2.2 DST=198.51.100.1 PROTO=UDP SPT=1 DPT=53 ",
		"Mar  1 20:00:09 fw kernel: [    9.000000] DROP IN=eth0 OUT= SRC=192.0.2.3 DST=198.51.100.1 PROTO=UDP SPT=1 DPT=53 ",
	}
	equal(t, "lines", lines(all), want)
	if n := k.Rejected(); n != 1 {
		t.Errorf("Rejected() = %d, want 1", n)
	}
	if n := k.Lost(); n != 0 {
		t.Errorf("Lost() = %d, want 0", n)
	}
	for i, seq := range []uint64{1001, 1002, 1004, 1005} {
		var probe Kmsg
		probe.c.BootID = "boot-a"
		probe.log = orDiscard(nil)
		if err := probe.Resume(all[i].pos); err != nil || probe.after == nil || *probe.after != seq {
			t.Errorf("line %d: pos %q decodes to %v, %v; want seq %d", i, all[i].pos, probe.after, err, seq)
		}
	}

	for k := range all {
		rest := runAll(t, newKmsg(t, path, "boot-a", all[k].pos))
		equal(t, "resumed", lines(rest), want[k+1:])
	}

	t.Run("another boot", func(t *testing.T) {
		// Sequence numbers from another boot mean nothing: the position
		// is ignored (no error) and reading starts as configured.
		k := NewKmsg(KmsgConfig{Path: path, BootID: "boot-b", Boot: kmsgBoot, Host: "fw"}, nil)
		if err := k.Resume(all[0].pos); err != nil {
			t.Fatal(err)
		}
		if got := runAll(t, k); len(got) != 0 {
			t.Errorf("read %q from the end of the ring", lines(got))
		}
	})
	t.Run("legacy", func(t *testing.T) {
		rest := runAll(t, newKmsg(t, path, "boot-a", []byte(`{"Boot":"boot-a","Seq":1002}`)))
		equal(t, "resumed", lines(rest), want[2:])
		k := newKmsg(t, path, "boot-a", []byte(`{"Boot":"boot-0","Seq":1002}`))
		if k.after != nil {
			t.Error("legacy position from another boot resumed")
		}
	})
	t.Run("stop", func(t *testing.T) {
		k := newKmsg(t, path, "boot-a", nil)
		n := 0
		err := k.Run(context.Background(), func(line, pos []byte) bool { n++; return n < 2 })
		if err != nil || n != 2 {
			t.Fatalf("Run = %v after %d lines, want nil after 2", err, n)
		}
		// The refused line was not read: a second Run starts with it.
		equal(t, "second Run", lines(runAll(t, k)), want[1:])
	})
}

func TestKmsgMalformedPosition(t *testing.T) {
	k := NewKmsg(KmsgConfig{BootID: "boot-a"}, nil)
	checkMalformed(t, k, append(garbage,
		[]byte(`{"Boot":"boot-a","Seq":"x"}`),
		[]byte{posVersion, kindFile, 1, 2, 3},
		[]byte{posVersion, kindKmsg},
		[]byte{posVersion, kindKmsg, 9, 'b'},
		[]byte{posVersion, kindKmsg, 1, 'b'},
		[]byte{posVersion, kindKmsg, 1, 'b', 7, 0},
	)...)
}

func TestKmsgPosNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	boot := "9c1f6a52-8d7e-4a4b-9a55-3f3a6f0e2b11"
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = appendKmsgPos(buf[:0], boot, 1<<40) }); n != 0 {
		t.Errorf("%v allocs per position, want 0", n)
	}
}

// TestKmsgDevice reads the real /dev/kmsg: the kernel's own records
// from the ring, then resumes after one of them.
func TestKmsgDevice(t *testing.T) {
	f, err := os.Open("/dev/kmsg")
	if err != nil {
		t.Skipf("skipping: /dev/kmsg not readable: %v", err)
	}
	f.Close()
	k := NewKmsg(KmsgConfig{FromStart: true}, nil)
	if k.c.BootID == "" {
		t.Skip("skipping: no boot id, so no position can be resumed")
	}
	first := take(t, k, 3)
	if len(first) < 3 {
		t.Skipf("skipping: only %d kernel records in the ring", len(first))
	}
	for _, g := range first {
		if !strings.Contains(g.line, " kernel: [") {
			t.Errorf("not a kernel line: %q", g.line)
		}
	}
	k2 := NewKmsg(KmsgConfig{}, nil)
	if err := k2.Resume(first[0].pos); err != nil {
		t.Fatal(err)
	}
	next := take(t, k2, 2)
	equal(t, "resumed", lines(next), lines(first[1:]))
}

// take runs in until it has n lines, and stops it by refusing the next.
func take(t *testing.T, in input, n int) []got {
	t.Helper()
	var out []got
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err := in.Run(ctx, func(line, pos []byte) bool {
		if len(out) == n {
			return false
		}
		out = append(out, got{string(line), append([]byte(nil), pos...)})
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKmsgLost: records the kernel overwrote before they were read (a gap
// in the sequence numbers) are counted, for the metrics' "lost" lines.
func TestKmsgLost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kmsg")
	gapped := "4,1001,5000000,-;DROP IN=eth0 OUT= SRC=192.0.2.1\n" +
		"4,1010,6000000,-;DROP IN=eth0 OUT= SRC=192.0.2.2\n" +
		"14,1013,7000000,-;psad-go-test: forged IN=eth0 OUT=\n"
	if err := os.WriteFile(path, []byte(gapped), 0o644); err != nil {
		t.Fatal(err)
	}
	k := newKmsg(t, path, "boot-a", nil)
	if got := len(runAll(t, k)); got != 2 {
		t.Errorf("%d lines, want 2", got)
	}
	if n := k.Lost(); n != 8+2 {
		t.Errorf("Lost() = %d, want 10 (1002-1009 and 1011-1012)", n)
	}
}
