//go:build race

package fwlog

func init() { raceEnabled = true }
