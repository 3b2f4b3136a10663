//go:build !unix

package fsutil

import "errors"

// ErrLocked is returned by Lock when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// Lock does nothing on systems without flock: concurrent backups into one
// folder are not detected there.
func Lock(path string) (unlock func(), err error) {
	return func() {}, nil
}
