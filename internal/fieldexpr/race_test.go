//go:build race

package fieldexpr

func init() { raceEnabled = true }
