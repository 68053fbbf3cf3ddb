package figure

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/psadgo/psad/internal/fwlog"
)

// collect feeds a generated log (cmd/psad-loggen) into a Collector.
func collect(t *testing.T, name string) *Collector {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "logs", name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := NewCollector(time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
	parser := fwlog.NewParser(fwlog.Options{StripKernelTS: true})
	var p fwlog.Packet
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if parser.Parse(sc.Bytes(), &p) == nil {
			c.Add(&p)
		}
	}
	if c.Packets() < 100 {
		t.Fatalf("only %d packets", c.Packets())
	}
	return c
}

// level spreads sources over the danger levels.
func level(a netip.Addr) int { return int(a.As16()[15]) % 6 }

func TestPNG(t *testing.T) {
	var b bytes.Buffer
	if err := collect(t, "sample").Render(&b, "png", level); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	if r.Dx() < 400 || r.Dy() < 250 {
		t.Fatalf("image is %v", r)
	}
	colours := map[[4]uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			colours[[4]uint32{cr >> 12, cg >> 12, cb >> 12, ca >> 12}] = true
		}
	}
	// White, black text and axes, and at least four series colours.
	if len(colours) < 6 {
		t.Errorf("only %d distinct colours: the figure looks blank", len(colours))
	}
}

func TestSVG(t *testing.T) {
	var b bytes.Buffer
	if err := collect(t, "syn_scan_1000_1500").Render(&b, "svg", level); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&b)
	paths, texts := 0, map[string]bool{}
	var inText bool
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("invalid SVG: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
			if tok.Name.Local == "path" {
				paths++
			}
		case xml.CharData:
			if inText {
				texts[string(bytes.TrimSpace(tok))] = true
			}
		case xml.EndElement:
			inText = false
		}
	}
	for _, want := range []string{"Packets by protocol", "Top sources", "tcp"} {
		if !texts[want] {
			t.Errorf("SVG lacks the text %q", want)
		}
	}
	if paths < 20 {
		t.Errorf("only %d paths", paths)
	}
}

func TestWriteRejectsOtherFormats(t *testing.T) {
	c := NewCollector(time.Now())
	err := c.Write(filepath.Join(t.TempDir(), "x.pdf"), nil)
	if err == nil {
		t.Fatal("x.pdf accepted")
	}
}

// TestLongLogIsCoarsened: a month of one packet a minute keeps at most
// maxSlots time slots and loses no packet.
func TestLongLogIsCoarsened(t *testing.T) {
	c := NewCollector(time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
	var p fwlog.Packet
	line := []byte("Nov  3 06:25:01 gw kernel: DROP IN=eth0 OUT= MAC=52:54:00:ab:38:e2:52:54:00:99:9a:d7:08:00 SRC=198.18.27.85 DST=203.0.113.6 LEN=40 TOS=0x00 PREC=0x00 TTL=51 ID=42931 PROTO=TCP SPT=42883 DPT=22 WINDOW=256 RES=0x00 SYN URGP=0 ")
	parser := fwlog.NewParser(fwlog.Options{})
	if err := parser.Parse(line, &p); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const n = 30 * 24 * 60
	for i := range n {
		p.Timestamp = []byte(start.Add(time.Duration(i) * time.Minute).Format(time.Stamp))
		c.Add(&p)
	}
	if len(c.secs) > maxSlots {
		t.Errorf("%d slots", len(c.secs))
	}
	total := 0
	for _, s := range c.secs {
		total += s.proto[0]
	}
	if total != n {
		t.Errorf("%d packets in the slots, want %d", total, n)
	}
	var b bytes.Buffer
	if err := c.Render(&b, "svg", nil); err != nil {
		t.Fatal(err)
	}
}

// TestEmptyRenders: a log without usable packets still gives a figure.
func TestEmptyRenders(t *testing.T) {
	var b bytes.Buffer
	if err := NewCollector(time.Now()).Render(&b, "png", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&b); err != nil {
		t.Fatal(err)
	}
}
