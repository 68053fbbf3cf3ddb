package fwlog
import "testing"
var sinkN int
func BenchmarkTok(b *testing.B) {
	line := []byte(lineSYNOpts)
	for b.Loop() {
		c := cursor{b: line}
		n := 0
		for len(c.next()) > 0 { n++ }
		sinkN = n
	}
}
func BenchmarkReset(b *testing.B) {
	for b.Loop() { sinkPacket.Reset() }
}
func BenchmarkHeader(b *testing.B) {
	line := []byte(lineSYNOpts)
	for b.Loop() { sinkN = parseHeader(line, &sinkPacket) }
}
func BenchmarkCount(b *testing.B) {
	line := []byte(lineSYNOpts)
	for b.Loop() {
		n := 0
		for _, c := range line { if c == ' ' || c == '\t' { n++ } }
		sinkN = n
	}
}
