// Package layout holds tests of the repository's own rules (package
// documentation, import direction); it has no code of its own.
package layout
