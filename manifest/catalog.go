package manifest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// TempPrefix starts the name of the folder a backup is built in. The dot
// hides it from ls and marks it as not a backup.
const TempPrefix = ".tmp-"

// Status is the state of a folder in a folder of backups.
type Status string

// Folder states.
const (
	// Complete is a backup with a manifest that parses. Its files are not
	// checked; Verify does that.
	Complete Status = "complete"
	// Incomplete is a backup that did not finish: a temporary folder, or a
	// backup folder without a manifest.
	Incomplete Status = "incomplete"
	// Damaged is a backup folder whose manifest cannot be read.
	Damaged Status = "damaged"
)

// Entry is one backup folder found in a folder of backups.
type Entry struct {
	// Name is the folder name; for a complete backup it is the backup id.
	Name   string
	Dir    string
	Status Status
	// Manifest is set for complete backups.
	Manifest *Manifest
	// Err is the reason the backup is damaged or incomplete.
	Err error
}

// ID returns the backup id: the manifest's for a complete backup, the
// folder name otherwise.
func (e *Entry) ID() string {
	if e.Manifest != nil && e.Manifest.BackupID != "" {
		return e.Manifest.BackupID
	}
	return e.Name
}

// Time returns the time the backup started, from the manifest or else from
// the folder name. It is zero when neither gives one.
func (e *Entry) Time() time.Time {
	if e.Manifest != nil {
		return e.Manifest.BackupTimestamp
	}
	name := strings.TrimPrefix(e.Name, TempPrefix)
	if len(name) >= len(IDFormat) {
		if t, err := time.Parse(IDFormat, name[:len(IDFormat)]); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Scan lists the backups directly inside dir, oldest first. A folder
// counts when it contains a manifest, is named like a backup id, or is the
// temporary folder of a backup. Other folders and files are skipped.
func Scan(dir string) ([]*Entry, error) {
	if err := checkFolder(dir); err != nil {
		return nil, err
	}
	items, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var entries []*Entry
	for _, item := range items {
		if !item.IsDir() {
			continue
		}
		name := item.Name()
		e := &Entry{Name: name, Dir: filepath.Join(dir, name)}
		_, statErr := os.Lstat(filepath.Join(e.Dir, FileName))
		switch {
		case strings.HasPrefix(name, TempPrefix):
			e.Status = Incomplete
			e.Err = errors.New("temporary folder of a backup that did not finish, or is still running")
		case statErr == nil:
			m, err := Read(e.Dir)
			if err != nil {
				e.Status = Damaged
				e.Err = err
			} else {
				e.Status = Complete
				e.Manifest = m
			}
		case ValidID(name):
			e.Status = Incomplete
			e.Err = ErrNoManifest
		default:
			continue
		}
		entries = append(entries, e)
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].before(entries[j]) })
	return entries, nil
}

// before orders backups by start time, then by the sequence suffix that a
// second backup of the same second gets, then by name.
func (e *Entry) before(o *Entry) bool {
	ti, tj := e.Time(), o.Time()
	if ti.IsZero() || tj.IsZero() {
		// A folder named like a backup id with an impossible time, such
		// as minute 60, sorts by name among the others.
		return strings.TrimPrefix(e.Name, TempPrefix) < strings.TrimPrefix(o.Name, TempPrefix)
	}
	if !ti.Equal(tj) {
		return ti.Before(tj)
	}
	si, sj := sequence(e.Name), sequence(o.Name)
	if si != sj {
		return si < sj
	}
	return e.Name < o.Name
}

// sequence returns the "-2" in 20261204-020000-2-incr, or 1.
func sequence(name string) int {
	name = strings.TrimPrefix(name, TempPrefix)
	if len(name) <= len(IDFormat)+1 {
		return 1
	}
	rest := strings.TrimSuffix(name[len(IDFormat)+1:], IncrementalSuffix)
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		rest = rest[:i]
	}
	n, err := strconv.Atoi(rest)
	if err != nil {
		return 1
	}
	return n
}

// IsBackup reports whether dir is a backup folder rather than a folder of
// backups: it holds a manifest.
func IsBackup(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, FileName))
	return err == nil
}

// Find returns the complete backup whose id or folder name is id.
func Find(entries []*Entry, id string) (*Entry, error) {
	for _, e := range entries {
		if e.Name == id || e.ID() == id {
			if e.Status != Complete {
				return nil, fmt.Errorf("backup %s is %s: %v", id, e.Status, e.Err)
			}
			return e, nil
		}
	}
	return nil, fmt.Errorf("no backup %s; run list to see the backups", id)
}

// Newest returns the newest complete backup, or nil.
func Newest(entries []*Entry) *Entry {
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Status == Complete {
			return entries[i]
		}
	}
	return nil
}

// NewestAt returns the newest complete backup that started at or before t,
// or nil. Start times count to the second, as backup ids and list show
// them, so a time copied from list selects that backup.
func NewestAt(entries []*Entry, t time.Time) *Entry {
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Status == Complete && !e.Manifest.BackupTimestamp.Truncate(time.Second).After(t) {
			return e
		}
	}
	return nil
}
