// Package fsutil writes files so that a crash leaves either the old state or
// the complete new one, and with owner-only permissions whatever the umask.
package fsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/authagonal/authagonal-tables/internal/crashpoint"
)

// Permissions of everything a backup writes: backups hold password hashes
// and secrets, so only the owner may read them.
const (
	FileMode os.FileMode = 0o600
	DirMode  os.FileMode = 0o700
)

// CreateExclusive creates a new file with FileMode, failing if it exists.
func CreateExclusive(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return nil, err
	}
	// The umask may have narrowed the mode, or the file system may ignore
	// it, so Chmod sets the exact mode either way.
	if err := f.Chmod(FileMode); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Mkdir creates a directory with DirMode, failing if it exists.
func Mkdir(path string) error {
	if err := os.Mkdir(path, DirMode); err != nil {
		return err
	}
	return os.Chmod(path, DirMode)
}

// MkdirAll creates a directory and its parents. Directories it creates get
// DirMode; existing ones keep theirs.
func MkdirAll(path string) error {
	return os.MkdirAll(path, DirMode)
}

// SyncDir flushes a directory's entries to disk, so that a file created or
// renamed in it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return fmt.Errorf("sync directory %s: %w", dir, serr)
	}
	return cerr
}

// WriteFileAtomic replaces path with data: it writes a temporary file in the
// same directory, syncs and closes it, renames it over path and syncs the
// directory. Readers see the old content or the new, never a mix.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(FileMode); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	crashpoint.Hit("before-rename:" + filepath.Base(path))
	if err := os.Rename(name, path); err != nil {
		return err
	}
	ok = true
	return SyncDir(dir)
}

// LastChange returns the newest modification time of dir and the entries
// directly inside it. A running backup writes into files that it created
// long ago, which does not change the folder's own time.
func LastChange(dir string) (time.Time, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return time.Time{}, err
	}
	newest := info.ModTime()
	items, err := os.ReadDir(dir)
	if err != nil {
		return time.Time{}, err
	}
	for _, item := range items {
		info, err := item.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return time.Time{}, err
		}
		if info.ModTime().After(newest) {
			newest = info.ModTime()
		}
	}
	return newest, nil
}
