//go:build race

package loggen

func init() { raceEnabled = true }
