package sig

import (
	"bytes"
	_ "embed"
)

// defaultRules is psad-go's own signature set, written by this project
// (see data/README and docs/signatures.md).
//
//go:embed data/signatures
var defaultRules []byte

// DefaultName names the embedded signature set in messages.
const DefaultName = "(built-in signatures)"

// DefaultText returns the embedded signature set, for installing it as a
// file.
func DefaultText() []byte { return bytes.Clone(defaultRules) }

// ParseDefault loads the embedded signature set.
func ParseDefault(o Options) (*Set, []Warning, error) {
	return Parse(bytes.NewReader(defaultRules), DefaultName, o)
}
