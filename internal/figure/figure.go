// Package figure draws the traffic of an -A run (--plot): packets over
// time by danger level and by protocol, the top destination ports and the
// top sources over time, as one four-panel PNG or SVG. It exists beside
// --gnuplot because that mode needs gnuplot and a field list, while a
// first look at a log should need neither.
package figure

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/psadgo/psad/internal/fwlog"
)

// protoNames are the protocol series; everything else is "other".
var protoNames = [...]string{"tcp", "udp", "icmp", "other"}

func protoIndex(p *fwlog.Packet) int {
	switch p.Proto {
	case fwlog.ProtoTCP:
		return 0
	case fwlog.ProtoUDP:
		return 1
	case fwlog.ProtoICMP, fwlog.ProtoICMPv6:
		return 2
	}
	return 3
}

// second holds the counts of one slot of log time (Collector.res
// seconds). Counting per slot rather than keeping packets bounds the
// memory by maxSlots and the sources, not by the log's length.
type second struct {
	proto [len(protoNames)]int
	src   map[int]int // source index -> packets
}

// Collector accumulates the packets of a run. It is not safe for
// concurrent use; -A feeds it from its one processing goroutine.
type Collector struct {
	now     time.Time
	secs    map[int64]*second
	srcIdx  map[netip.Addr]int
	srcs    []netip.Addr
	srcN    []int
	dports  map[int]int
	packets int
	res     int64 // seconds per slot: 1, doubled when there are too many
}

// maxSlots bounds the time slots kept; a figure shows at most buckets
// points per series, so a month of log needs no per-second counts.
const maxSlots = 4096

// NewCollector returns an empty Collector; now dates syslog time stamps,
// which have no year.
func NewCollector(now time.Time) *Collector {
	return &Collector{now: now, secs: map[int64]*second{}, srcIdx: map[netip.Addr]int{}, dports: map[int]int{}, res: 1}
}

// Add counts one accepted packet. Packets without a readable time stamp
// count for the port panel only.
func (c *Collector) Add(p *fwlog.Packet) {
	c.packets++
	if p.DstPort >= 0 && (p.Proto == fwlog.ProtoTCP || p.Proto == fwlog.ProtoUDP) {
		c.dports[p.DstPort]++
	}
	i, ok := c.srcIdx[p.Src]
	if !ok {
		i = len(c.srcs)
		c.srcIdx[p.Src] = i
		c.srcs = append(c.srcs, p.Src)
		c.srcN = append(c.srcN, 0)
	}
	c.srcN[i]++
	t, ok := fwlog.ParseTime(p.Timestamp, c.now)
	if !ok {
		return
	}
	key := floorTo(t.Unix(), c.res)
	s := c.secs[key]
	if s == nil {
		if len(c.secs) >= maxSlots {
			c.coarsen()
			key = floorTo(t.Unix(), c.res)
		}
		if s = c.secs[key]; s == nil {
			s = &second{src: map[int]int{}}
			c.secs[key] = s
		}
	}
	s.proto[protoIndex(p)]++
	s.src[i]++
}

// floorTo rounds t down to a multiple of res.
func floorTo(t, res int64) int64 {
	r := t % res
	if r < 0 {
		r += res
	}
	return t - r
}

// coarsen doubles the slot length and merges the slots.
func (c *Collector) coarsen() {
	c.res *= 2
	old := c.secs
	c.secs = make(map[int64]*second, len(old)/2+1)
	for t, s := range old {
		key := floorTo(t, c.res)
		d := c.secs[key]
		if d == nil {
			c.secs[key] = s
			continue
		}
		for k, v := range s.proto {
			d.proto[k] += v
		}
		for i, v := range s.src {
			d.src[i] += v
		}
	}
}

// Packets returns the number of packets added.
func (c *Collector) Packets() int { return c.packets }

// buckets is how many points a time series has at most.
const buckets = 60

// timeAxis returns the first second, the bucket width in seconds and the
// number of buckets.
func (c *Collector) timeAxis() (start, width int64, n int) {
	if len(c.secs) == 0 {
		return 0, 1, 0
	}
	lo, hi := int64(1<<62), int64(-1<<62)
	for t := range c.secs {
		lo, hi = min(lo, t), max(hi, t)
	}
	hi += c.res - 1 // the last slot's end
	width = max((hi-lo+1+buckets-1)/buckets, c.res)
	return lo, width, int((hi-lo)/width) + 1
}

// Write draws the figure to path; the extension (.png or .svg) picks the
// format. level gives each source's danger level (0-5) at the end of the
// run.
func (c *Collector) Write(path string, level func(netip.Addr) int) error {
	format, err := Format(path)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating plot file: %w", err)
	}
	if err := c.Render(f, format, level); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing plot file: %w", err)
	}
	return nil
}

// Format returns "png" or "svg" from the extension of path, so a bad
// name can be refused before a long run rather than after it.
func Format(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".svg":
		return ext[1:], nil
	}
	return "", fmt.Errorf("plot file %q: want a .png or .svg name", path)
}

// Size of the whole figure.
const (
	figW = 12 * vg.Inch
	figH = 9 * vg.Inch
)

// Render writes the figure in format "png" or "svg" to w.
func (c *Collector) Render(w io.Writer, format string, level func(netip.Addr) int) error {
	panels, err := c.panels(level)
	if err != nil {
		return err
	}
	var (
		vc draw.Canvas
		wt io.WriterTo
	)
	switch format {
	case "png":
		img := vgimg.New(figW, figH)
		vc = draw.New(img)
		wt = vgimg.PngCanvas{Canvas: img}
	case "svg":
		s := vgsvg.New(figW, figH)
		vc = draw.New(s)
		wt = s
	default:
		return fmt.Errorf("plot format %q: want png or svg", format)
	}
	// White background: a transparent PNG is unreadable in dark viewers.
	vc.SetColor(color.White)
	vc.Fill(vc.Rectangle.Path())
	tiles := draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	grid := [][]*plot.Plot{{panels[0], panels[1]}, {panels[2], panels[3]}}
	cs := plot.Align(grid, tiles, vc)
	for i := range grid {
		for j := range grid[i] {
			grid[i][j].Draw(cs[i][j])
		}
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("writing %s plot: %w", format, err)
	}
	return nil
}

// palette is colour-blind friendly (Okabe-Ito) and distinct in print.
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255}, color.RGBA{213, 94, 0, 255}, color.RGBA{0, 158, 115, 255},
	color.RGBA{204, 121, 167, 255}, color.RGBA{230, 159, 0, 255}, color.RGBA{86, 180, 233, 255},
	color.RGBA{0, 0, 0, 255},
}

// series is one line of a time panel.
type series struct {
	name string
	ys   []float64
}

func (c *Collector) panels(level func(netip.Addr) int) ([4]*plot.Plot, error) {
	var ps [4]*plot.Plot
	start, width, n := c.timeAxis()
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(start + int64(i)*width)
	}
	unit := "packets per " + (time.Duration(width) * time.Second).String()

	// Danger level of each source, then per-bucket counts by level.
	dl := make([]int, len(c.srcs))
	for i, a := range c.srcs {
		if level != nil {
			dl[i] = min(max(level(a), 0), 5)
		}
	}
	byLevel := make([]series, 6)
	byProto := make([]series, len(protoNames))
	for l := range byLevel {
		byLevel[l] = series{name: "DL " + strconv.Itoa(l), ys: make([]float64, n)}
	}
	for k := range byProto {
		byProto[k] = series{name: protoNames[k], ys: make([]float64, n)}
	}
	top := topSources(c.srcN, 5)
	bySrc := make([]series, len(top))
	rank := map[int]int{}
	for r, i := range top {
		bySrc[r] = series{name: c.srcs[i].String(), ys: make([]float64, n)}
		rank[i] = r
	}
	for t, s := range c.secs {
		b := int((t - start) / width)
		for k, v := range s.proto {
			byProto[k].ys[b] += float64(v)
		}
		for i, v := range s.src {
			byLevel[dl[i]].ys[b] += float64(v)
			if r, ok := rank[i]; ok {
				bySrc[r].ys[b] += float64(v)
			}
		}
	}
	var err error
	if ps[0], err = timePanel("Packets by danger level of the source", unit, xs, byLevel); err != nil {
		return ps, err
	}
	if ps[1], err = timePanel("Packets by protocol", unit, xs, byProto); err != nil {
		return ps, err
	}
	if ps[2], err = portPanel(c.dports, 15); err != nil {
		return ps, err
	}
	if ps[3], err = timePanel("Top sources", unit, xs, bySrc); err != nil {
		return ps, err
	}
	return ps, nil
}

// topSources returns the indexes of the k sources with most packets.
func topSources(n []int, k int) []int {
	idx := make([]int, len(n))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(n[b], n[a]) })
	return idx[:min(k, len(idx))]
}

func timePanel(title, unit string, xs []float64, ss []series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (UTC)"
	p.Y.Label.Text = unit
	p.X.Tick.Marker = plot.TimeTicks{Format: "Jan 02\n15:04:05", Time: func(t float64) time.Time { return time.Unix(int64(t), 0).UTC() }}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	for k, s := range ss {
		empty := true
		pts := make(plotter.XYs, len(xs))
		for i := range xs {
			pts[i].X, pts[i].Y = xs[i], s.ys[i]
			if s.ys[i] != 0 {
				empty = false
			}
		}
		if empty || len(xs) == 0 {
			continue // an empty series only clutters the legend
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", title, s.name, err)
		}
		l.Color = palette[k%len(palette)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	// Counts start at zero, and the top third is left to the legend.
	p.Y.Min = 0
	p.Y.Max = max(p.Y.Max*1.4, 1)
	return p, nil
}

func portPanel(dports map[int]int, k int) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Top %d destination ports (TCP and UDP)", k)
	p.Y.Label.Text = "packets"
	ports := make([]int, 0, len(dports))
	for port := range dports {
		ports = append(ports, port)
	}
	slices.SortFunc(ports, func(a, b int) int {
		if c := cmp.Compare(dports[b], dports[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	ports = ports[:min(k, len(ports))]
	if len(ports) == 0 {
		return p, nil
	}
	vals := make(plotter.Values, len(ports))
	names := make([]string, len(ports))
	for i, port := range ports {
		vals[i] = float64(dports[port])
		names[i] = strconv.Itoa(port)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(18))
	if err != nil {
		return nil, fmt.Errorf("port panel: %w", err)
	}
	bars.Color = palette[0]
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalX(names...)
	return p, nil
}
