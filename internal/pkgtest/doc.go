// Package pkgtest holds tests of the repository as a user meets it: the
// README's first command, and `make install` into a scratch root with
// the installed binary run from there. It has no code of its own; the
// tests live here because they belong to no single package.
package pkgtest
