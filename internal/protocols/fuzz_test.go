package protocols

import (
	"strings"
	"testing"
)

// FuzzParse: no protocols-file text crashes the reader.
func FuzzParse(f *testing.F) {
	f.Add("tcp\t6\tTCP\t\t# Transmission Control\n")
	f.Add("rspf\t73\tRSPF CPHB\t# Radio Shortest Path First\nmanet\t138\t\t\t# MANET\n")
	f.Add("# only a comment\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		tab, err := Parse(strings.NewReader(text), "fuzz")
		if err != nil {
			return
		}
		for i := 0; i < 256; i++ {
			tab.Name(i)
		}
		tab.Number("tcp")
	})
}
