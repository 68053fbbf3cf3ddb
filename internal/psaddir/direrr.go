package psaddir

import (
	"errors"
	"fmt"
	"io/fs"
)

// pathError rewrites a failed file operation as "cannot <verb> <path>:
// <reason>", leaving out Go's operation names ("mkdir", "openat"), and
// when the reason is a permission, says what to do about it: the usual
// cause is starting the daemon as an ordinary user, who may not write
// psad's directories under /var. dirVar is the psad.conf variable that
// moves the directory concerned.
func pathError(verb, path, dirVar string, err error) error {
	reason := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		path, reason = pe.Path, pe.Err
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("cannot %s %s: %w (the daemon needs root, or set %s to a directory it may write)",
			verb, path, reason, dirVar)
	}
	return fmt.Errorf("cannot %s %s: %w", verb, path, reason)
}
