// Package detecttest builds the built-in psad.conf's settings and
// detector for other packages' tests and benchmarks, so that each does
// not write the configuration, settings and build steps out again. It is
// for test code only. (pipeline's own tests cannot use it: detect
// imports pipeline.)
package detecttest

import (
	"testing"

	"github.com/psadgo/psad/internal/config"
	"github.com/psadgo/psad/internal/detect"
)

// Settings returns the settings of the built-in psad.conf, failing tb
// when they cannot be made.
func Settings(tb testing.TB) *config.Settings {
	tb.Helper()
	c, err := config.Default()
	if err != nil {
		tb.Fatal(err)
	}
	s, err := c.Settings()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Builtin returns the built-in psad.conf's settings and the detector
// built from them, engines and all; it fails tb when either cannot be
// made, or when the detector loaded no signatures.
func Builtin(tb testing.TB) (*config.Settings, *detect.Detector) {
	tb.Helper()
	s := Settings(tb)
	d, err := detect.Build(s, detect.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if d.Engines == nil || d.Engines.Sigs == nil {
		tb.Fatal("the built-in configuration loaded no signatures")
	}
	return s, d
}
