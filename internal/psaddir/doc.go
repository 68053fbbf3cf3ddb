// Package psaddir owns everything the daemon keeps under PSAD_DIR,
// PSAD_RUN_DIR and PSAD_FIFO_DIR: the pid file and its single-instance
// lock, the bbolt store that holds scan state and input positions
// together, the control socket, and atomic file replacement.
//
// The package exists so that every on-disk artefact has one owner and one
// set of crash rules: a reader of these files (a restarted daemon, psad -S,
// an operator) sees either the old or the new content, never a mix, and a
// file that should be private is never visible at umask permissions.
package psaddir
