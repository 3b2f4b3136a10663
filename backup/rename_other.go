//go:build !linux

package backup

import "os"

// renameNoReplace renames oldpath to newpath and fails if newpath exists.
// Outside Linux the check and the rename are two steps.
func renameNoReplace(oldpath, newpath string) error {
	if _, err := os.Lstat(newpath); err == nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: os.ErrExist}
	}
	return os.Rename(oldpath, newpath)
}
