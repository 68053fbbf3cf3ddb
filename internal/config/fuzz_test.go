package config

import (
	"errors"
	"slices"
	"testing"
)

// FuzzParse feeds arbitrary text to the loader as a whole main file, as an
// override of the built-in file and as lines in front of it. The oracle:
// no panic, every failure is an *Error, and every accepted configuration
// has no $NAME left in any value and answers every accessor.
func FuzzParse(f *testing.F) {
	f.Add([]byte("DANGER_LEVEL1 7;\n"))
	f.Add([]byte("A $B;\nB $A;\n"))
	f.Add([]byte("INSTALL_ROOT /;\nPSAD_DIR $INSTALL_ROOT/x;\nxCmd $PSAD_DIR/y;\n"))
	f.Add([]byte("FW_SEARCH_ALL N;\nFW_MSG_SEARCH a$;\nENABLE_FOO yes;\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inputs := []struct {
			main []byte
			ov   [][]byte
		}{
			{data, nil},
			{defaultConf, [][]byte{data}},
			{append(slices.Clip(data), defaultConf...), nil},
		}
		for _, in := range inputs {
			c, err := Parse("fuzz.conf", in.main, in.ov...)
			if err != nil {
				var ce *Error
				if !errors.As(err, &ce) {
					t.Fatalf("error %v is %T, want *Error", err, err)
				}
				_ = err.Error()
				continue
			}
			for _, name := range c.Names() {
				v, ok := c.Get(name)
				if !ok {
					t.Fatalf("Names() lists %q but Get fails", name)
				}
				if i, _ := findRef(v); i >= 0 {
					t.Fatalf("%s = %q still holds a reference", name, v)
				}
				_ = c.Int(name)
				_ = c.Y(name)
				c.Line(name)
			}
			for _, name := range c.CmdNames() {
				v, _ := c.Cmd(name)
				if i, _ := findRef(v); i >= 0 {
					t.Fatalf("command %s = %q still holds a reference", name, v)
				}
			}
			_ = c.FWSearchAll()
			_ = c.FWMsgSearch()
			// Every loaded configuration has typed settings or a
			// positioned *Error saying which variable does not compile.
			if _, err := c.Settings(); err != nil {
				var ce *Error
				if !errors.As(err, &ce) || ce.Var == "" {
					t.Fatalf("Settings error %v (%T) names no variable", err, err)
				}
			}
		}
	})
}
