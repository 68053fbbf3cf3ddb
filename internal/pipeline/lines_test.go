package pipeline

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/psadgo/psad/internal/logsrc"
)

// refLines is what a line reader must give: the input split at "\n",
// each line cut to its first max bytes with its ending ("\n", "\r\n")
// removed only when the cut kept it, and a last line without an ending
// given as it is.
func refLines(data []byte, max int) []string {
	var out []string
	for len(data) > 0 {
		raw := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw = data[:i+1]
		}
		data = data[len(raw):]
		line := raw
		if n := len(line); line[n-1] == '\n' {
			line = line[:n-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
		}
		out = append(out, string(line[:min(len(line), max)]))
	}
	return out
}

// readAll runs a lineReader over r to the end, reusing two chunks'
// storage in turn as ParseAhead does.
func readAll(t testing.TB, r io.Reader, max, size int) ([]string, error) {
	lr := &lineReader{r: r, max: max, size: size}
	var bufs [2][]byte
	var spans [2][]span
	var out []string
	for i := 0; ; i++ {
		k := i % 2
		bufs[k], spans[k] = lr.fill(bufs[k], spans[k])
		if len(spans[k]) == 0 {
			if lr.err == io.EOF {
				return out, nil
			}
			return out, lr.err
		}
		if i > 10*len(out)+1000 {
			t.Fatal("lineReader makes no progress")
		}
		for _, sp := range spans[k] {
			out = append(out, string(bufs[k][sp.start:sp.end]))
		}
	}
}

func randomLog(rng *rand.Rand, n int) []byte {
	pieces := []string{"\n", "\r\n", "\r", "a", "SRC=10.0.0.1 ", strings.Repeat("x", 37), "\n\n"}
	var b []byte
	for range n {
		b = append(b, pieces[rng.IntN(len(pieces))]...)
	}
	return b
}

func TestLineReaderMatchesSplit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	readers := map[string]func([]byte) io.Reader{
		"whole":   func(b []byte) io.Reader { return bytes.NewReader(b) },
		"onebyte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"half":    func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
		"dataerr": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
	}
	for i := range 300 {
		data := randomLog(rng, rng.IntN(200))
		max, size := 1+rng.IntN(60), 1+rng.IntN(100)
		want := refLines(data, max)
		for name, mk := range readers {
			got, err := readAll(t, mk(data), max, size)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("case %d %s (max %d, size %d) of %q:\n got %q, %v\nwant %q", i, name, max, size, data, got, err, want)
			}
		}
	}
}

// TestLineReaderLongLines uses the real limits: lines cut at
// logsrc.MaxLine, lines longer than a chunk's buffer, and a line of
// exactly the limit ending in "\r\n".
func TestLineReaderLongLines(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("first\n")
	b.WriteString(strings.Repeat("L", 3*logsrc.MaxLine+5) + "\n")
	b.WriteString("after long\r\n")
	b.WriteString(strings.Repeat("m", chunkBytes+7) + "\n")
	b.WriteString(strings.Repeat("e", logsrc.MaxLine-1) + "\r\n")
	b.WriteString(strings.Repeat("f", logsrc.MaxLine-2) + "\r\n")
	b.WriteString("no ending")
	data := b.Bytes()
	got, err := readAll(t, bytes.NewReader(data), logsrc.MaxLine, chunkBytes)
	if err != nil {
		t.Fatal(err)
	}
	want := refLines(data, logsrc.MaxLine)
	if len(want) != 7 || len(want[1]) != logsrc.MaxLine || want[4] != strings.Repeat("e", logsrc.MaxLine-1) {
		t.Fatalf("reference is off: %d lines", len(want))
	}
	if !slices.Equal(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w string
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Fatalf("line %d: got %d bytes %.20q..., want %d bytes %.20q...", i, len(g), g, len(w), w)
			}
		}
	}
}

func TestLineReaderError(t *testing.T) {
	boom := errors.New("disk gone")
	r := io.MultiReader(strings.NewReader("one\ntwo\nthr"), iotest.ErrReader(boom))
	got, err := readAll(t, r, 100, 8)
	if !errors.Is(err, boom) || !slices.Equal(got, []string{"one", "two", "thr"}) {
		t.Fatalf("got %q, %v; want the three lines and %v", got, err, boom)
	}
}

func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\r\nbb\n\nccc"), 3, 4)
	f.Add([]byte("long line here\nx\r"), 5, 2)
	f.Fuzz(func(t *testing.T, data []byte, max, size int) {
		max, size = 1+abs(max)%64, 1+abs(size)%64
		got, err := readAll(t, iotest.HalfReader(bytes.NewReader(data)), max, size)
		if want := refLines(data, max); err != nil || !slices.Equal(got, want) {
			t.Fatalf("max %d size %d of %q:\n got %q, %v\nwant %q", max, size, data, got, err, want)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
