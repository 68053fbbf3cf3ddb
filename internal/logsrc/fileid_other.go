//go:build !unix

package logsrc

import "os"

// idOf has no inode to report on this system; rotation by rename is then
// not detected, only truncation and a missing file.
func idOf(os.FileInfo) fileID { return fileID{} }
