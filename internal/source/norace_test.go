package source

// raceEnabled is set by race_test.go: the race detector's instrumentation
// allocates, so allocation counts mean nothing under it.
var raceEnabled bool
