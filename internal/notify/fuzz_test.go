package notify

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Seeds: socket tables as Linux prints them, and some damaged ones.
var procNetSeeds = []string{
	"",
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17305 1 0000000000000000 100 0 0 10 0\n" +
		"   1: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20114 1 0000000000000000 100 0 0 10 0\n" +
		"   2: 0A00020F:A3C2 5DB8D822:01BB 01 00000000:00000000 02:00000A1E 00000000  1000        0 88121 2 0000000000000000 22 4 30 10 -1\n",
	"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17307 1 0000000000000000 100 0 0 10 0\n" +
		"   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20116 1 0000000000000000 100 0 0 10 0\n",
	"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
		"  471: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000   104        0 15612 2 0000000000000000 0\n" +
		"  655: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 14090 2 0000000000000000 0\n" +
		" 1022: 0A00020F:9F1A 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000        0 91011 2 0000000000000000 0\n",
	"header only, no newline",
	"hdr\r\n   0: 00000000:FFFF 00000000:0000 0A\r\n   1: 00000000:10000 00000000:0000 0A\n   2: 00000000 00000000:0000 0A\n   3: 00000000:0016\n",
}

// socketLine is one /proc/net/{tcp,udp}{,6} line as the kernel prints it.
func socketLine(sl int, v6 bool, addr []byte, port uint16, state byte) string {
	n := 4
	if v6 {
		n = 16
	}
	a := make([]byte, n)
	copy(a, addr)
	zero := strings.Repeat("0", 2*n)
	return fmt.Sprintf("%4d: %s:%04X %s:0000 %02X 00000000:00000000 00:00000000 00000000  %4d        0 %d 1 0000000000000000 100 0 0 10 0",
		sl, strings.ToUpper(hex.EncodeToString(a)), port, zero, state, 1000, 40000+sl)
}

// FuzzReadSockets guards the reading of one socket table, which decides
// whether an alert says a server is bound to the scanned port: whatever
// the table holds, a socket line in the kernel's format added after it is
// counted when it has the state asked for and not otherwise, every port
// counted is in 0..65535 and comes from a line after the header with that
// state, and an error names the file.
func FuzzReadSockets(f *testing.F) {
	for i, s := range procNetSeeds {
		f.Add([]byte(s), i%2 == 0, []byte{127, 0, 0, byte(i)}, uint16(22+i), byte(0x01+i), i == 3)
	}
	dir := f.TempDir() // one fuzzing process runs one input at a time
	f.Fuzz(func(t *testing.T, data []byte, udp bool, addr []byte, port uint16, other byte, long bool) {
		if long {
			// A line longer than bufio.Scanner takes, for the read
			// error.
			data = slices.Concat(data, []byte("\n"+strings.Repeat("0", bufio.MaxScanTokenSize)))
		}
		state, st := stateListen, byte(0x0A)
		if udp {
			state, st = stateClose, 0x07
		}
		if other == st {
			other = 0x01
		}
		read := func(name string, content []byte) (map[int]bool, error) {
			path := filepath.Join(dir, name)
			writeNew(t, path, content)
			set := map[int]bool{}
			err := readSockets(path, state, set)
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name %s", err, path)
			}
			return set, err
		}

		base, baseErr := read("base", data)
		if baseErr == nil {
			for p := range base {
				if p < 0 || p > 65535 {
					t.Fatalf("port %d out of range", p)
				}
				if !hasSocket(data, state, p) {
					t.Fatalf("port %d counted without a %s line for it in\n%q", p, state, data)
				}
			}
		}

		v6 := len(addr) > 4
		extra := "\n" + socketLine(0, v6, addr, port, st) + "\n" + socketLine(1, v6, addr, port^0x8000, other) + "\n"
		got, err := read("more", slices.Concat(data, []byte(extra)))
		if err != nil || baseErr != nil {
			return
		}
		want := maps.Clone(base)
		want[int(port)] = true
		if !maps.Equal(got, want) {
			t.Fatalf("after adding %q, ports %v; want %v", extra, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
	})
}

// writeNew writes content to a new file at path, removing the old one:
// truncating and rewriting a file makes ext4 write it out at close, which
// made each write here three times slower.
func writeNew(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
}

// hasSocket reports whether a line of data after the first has state st
// and port as the port of its local address.
func hasSocket(data []byte, st string, port int) bool {
	for i, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if i == 0 || len(f) < 4 || f[3] != st {
			continue
		}
		if _, hp, ok := strings.Cut(f[1], ":"); ok {
			if v, err := strconv.ParseUint(hp, 16, 64); err == nil && v == uint64(port) {
				return true
			}
		}
	}
	return false
}

// FuzzReadProcNet guards how the four tables make up the bound ports:
// tcp and tcp6 give the listening sockets of TCP, udp and udp6 the
// unconnected ones of UDP, a missing table is skipped, none at all is an
// error naming the directory, and a table that cannot be read is an
// error naming that file.
func FuzzReadProcNet(f *testing.F) {
	for i, s := range procNetSeeds {
		f.Add([]byte(s), uint8(15-i), uint16(8000+i))
		f.Add([]byte(s), uint8(0x4F>>i), uint16(2049+i))
	}
	dir := f.TempDir() // one fuzzing process runs one input at a time
	f.Fuzz(func(t *testing.T, data []byte, present uint8, port uint16) {
		tables := []struct {
			name string
			st   byte
		}{{"tcp", 0x0A}, {"tcp6", 0x0A}, {"udp", 0x07}, {"udp6", 0x07}}
		var files []string
		bad := false
		want := [2]map[int]bool{{}, {}} // tcp, udp
		for i, tb := range tables {
			path := filepath.Join(dir, tb.name)
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if present&(1<<i) == 0 {
				continue
			}
			files = append(files, path)
			p := port + uint16(i)
			if present&(0x10<<i) != 0 {
				// A table that cannot be read: a directory.
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			} else {
				content := string(data) + "\n" + socketLine(7, strings.HasSuffix(tb.name, "6"), []byte{10, 0, 0, 1}, p, tb.st) + "\n"
				writeNew(t, path, []byte(content))
			}
			state := map[byte]string{0x0A: stateListen, 0x07: stateClose}[tb.st]
			if err := readSockets(path, state, want[i/2]); err != nil {
				bad = true // the same error must make ReadProcNet fail
			}
			want[i/2][int(p)] = true
		}

		ports, err := ReadProcNet(dir)
		if len(files) == 0 {
			if err == nil || !strings.Contains(err.Error(), dir) {
				t.Fatalf("ReadProcNet of a directory without tables: %v", err)
			}
			return
		}
		if err != nil {
			if !bad {
				t.Fatalf("ReadProcNet: %v", err)
			}
			if !slices.ContainsFunc(files, func(p string) bool { return strings.Contains(err.Error(), p) }) {
				t.Fatalf("error %q names none of %q", err, files)
			}
			return
		}
		if bad {
			t.Fatalf("ReadProcNet took a table readSockets refuses")
		}
		for i, proto := range []string{"tcp", "udp"} {
			for p := range want[i] {
				if bound, known := ports.Bound(proto, p); !bound || !known {
					t.Fatalf("Bound(%s, %d) = %v, %v; want true", proto, p, bound, known)
				}
			}
			got := map[string]map[int]bool{"tcp": ports.tcp, "udp": ports.udp}[proto]
			if !maps.Equal(got, want[i]) {
				t.Fatalf("%s ports %v; want %v", proto, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want[i])))
			}
		}
	})
}
