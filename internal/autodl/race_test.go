//go:build race

package autodl

func init() { raceEnabled = true }
