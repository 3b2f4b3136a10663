// Package manifest reads and writes _manifest.json, the record of one backup,
// and verifies a backup folder against it.
//
// A folder is a complete backup exactly when it holds a manifest: backup
// writes the manifest last, after every data file has been synced, and then
// renames the folder into place.
package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/internal/fsutil"
	"github.com/authagonal/authagonal-tables/tables"
)

// FileName is the manifest's name inside a backup folder.
const FileName = "_manifest.json"

// FormatVersion is the version of the backup format this tool writes. A
// reader rejects versions it does not know.
const FormatVersion = 1

// MaxBytes caps the size of a manifest file that Read accepts. A manifest of
// a thousand tables is well under 1 MiB.
const MaxBytes = 16 << 20

// Backup modes.
const (
	// ModeFull is a backup of every entity of its tables.
	ModeFull = "full"
	// ModeIncremental is a backup of the entities changed since the
	// table's previous backup, plus the keys deleted since then.
	ModeIncremental = "incremental"
)

// Manifest describes one backup. Field names that the Authagonal .NET backup
// tool also writes keep its spelling, so scripts that read its manifests
// keep working.
type Manifest struct {
	FormatVersion   int       `json:"FormatVersion"`
	BackupID        string    `json:"BackupId"`
	BackupTimestamp time.Time `json:"BackupTimestamp"`
	Mode            string    `json:"Mode"`
	Compressed      bool      `json:"Compressed"`
	// Codec names the codec of every data file, such as "jsonl.gz".
	Codec       string   `json:"Codec"`
	ToolVersion string   `json:"ToolVersion"`
	Account     *Account `json:"Account,omitempty"`
	// Tables maps each table backed up to what was written for it.
	Tables          map[string]Table `json:"Tables"`
	TotalEntities   int64            `json:"TotalEntities"`
	DurationSeconds float64          `json:"DurationSeconds"`
	// FileHashes maps every file of the backup except the manifest to the
	// lowercase hex SHA-256 of its bytes on disk.
	FileHashes map[string]string `json:"FileHashes"`
	// MissingTables lists tables of the default set that did not exist.
	MissingTables []string `json:"MissingTables"`
	// ExcludedTables lists tables left out on purpose, with the reason.
	ExcludedTables []Excluded `json:"ExcludedTables"`
	// FailedTables lists tables whose backup failed. The backup holds no
	// file for them, and their marks in .lastbackup did not move.
	FailedTables []Failed `json:"FailedTables,omitempty"`

	// ParentBackupID is the backup an incremental follows: the newest
	// complete backup in the output folder when it started. Empty for a
	// full backup and for an incremental that had no backup to follow.
	ParentBackupID string `json:"ParentBackupId,omitempty"`
	// OverlapSeconds is the safety margin subtracted from each table's
	// mark to get its watermark. Incremental backups only.
	OverlapSeconds float64 `json:"OverlapSeconds,omitempty"`
	// TrackDeletes is false for an incremental taken with
	// --no-track-deletes: its tables have no key set and no deletes.
	TrackDeletes bool `json:"TrackDeletes"`

	// TablePrefix is the prefix of every physical table name backed up.
	// Tables and files are named without it.
	TablePrefix string `json:"TablePrefix,omitempty"`

	// Encryption records how the data files are encrypted; nil when they
	// are not. It holds public keys only.
	Encryption *Encryption `json:"Encryption,omitempty"`

	// Legacy is set for a backup of the .NET tool, read by ReadLegacy.
	Legacy *Legacy `json:"-"`
}

// Encryption describes the encryption of a backup's data files.
type Encryption struct {
	// Scheme is "age": every data file is an age file (.age) of the
	// codec's bytes.
	Scheme string `json:"Scheme"`
	// Recipients are the public keys the files are encrypted to. Any one
	// matching identity decrypts them.
	Recipients []string `json:"Recipients"`
}

// EncryptionAge is the only encryption scheme.
const EncryptionAge = "age"

// Failed is a table whose backup failed.
type Failed struct {
	Name  string `json:"Name"`
	Error string `json:"Error"`
}

// Account identifies the storage account backed up. It never holds a key
// or a SAS token.
type Account struct {
	Name          string `json:"Name"`
	TableEndpoint string `json:"TableEndpoint"`
}

// Table is the record of one table in a backup.
type Table struct {
	EntityCount     int64   `json:"EntityCount"`
	DurationSeconds float64 `json:"DurationSeconds"`
	File            string  `json:"File"`
	Bytes           int64   `json:"Bytes"`

	// Watermark is the time from which changes were copied: File holds
	// the entities whose Timestamp is at or after it. Nil means File holds
	// every entity of the table.
	Watermark *time.Time `json:"Watermark,omitempty"`
	// FullCopyReason is the reason an incremental copied this table in full.
	FullCopyReason string `json:"FullCopyReason,omitempty"`
	// ServiceTime is the service's clock when the table's backup started,
	// from the Date header of its first response. The next incremental
	// copies the changes from ServiceTime minus the overlap.
	ServiceTime *time.Time `json:"ServiceTime,omitempty"`
	// BaseBackupID is the earlier backup of this table that this copy
	// follows: the one whose key set the deletes were computed against.
	BaseBackupID string `json:"BaseBackupId,omitempty"`

	// KeysFile lists the key of every entity the table held, KeyCount
	// lines. Empty when deletes were not tracked.
	KeysFile string `json:"KeysFile,omitempty"`
	KeyCount int64  `json:"KeyCount"`
	// DeletedFile lists the keys of BaseBackupID's key set that are gone,
	// DeletedCount lines. Empty when DeletesTracked is false.
	DeletedFile  string `json:"DeletedFile,omitempty"`
	DeletedCount int64  `json:"DeletedCount"`
	// DeletesTracked reports whether DeletedFile lists every entity
	// deleted since BaseBackupID.
	DeletesTracked bool `json:"DeletesTracked"`
}

// Files returns the names of the table's files: data, keys and deleted
// keys, skipping those it does not have. Only a table of a .NET tool
// backup can lack a data file: that tool wrote none for an empty table.
func (t Table) Files() []string {
	var files []string
	if t.File != "" {
		files = append(files, t.File)
	}
	if t.KeysFile != "" {
		files = append(files, t.KeysFile)
	}
	if t.DeletedFile != "" {
		files = append(files, t.DeletedFile)
	}
	return files
}

// Incremental reports whether the table holds only the changes since its
// watermark, so that restoring it needs the earlier backups of its chain.
func (t Table) Incremental() bool { return t.Watermark != nil }

// Excluded is a table left out of a backup on purpose.
type Excluded struct {
	Name   string `json:"Name"`
	Reason string `json:"Reason"`
}

// TableNames returns the names of the tables in the backup, sorted.
func (m *Manifest) TableNames() []string {
	names := make([]string, 0, len(m.Tables))
	for name := range m.Tables {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Table returns the record of the named table and its name as the
// manifest spells it. Table names are case-insensitive in the service, so
// they are matched that way.
func (m *Manifest) Table(name string) (string, Table, bool) {
	if t, ok := m.Tables[name]; ok {
		return name, t, true
	}
	for n, t := range m.Tables {
		if strings.EqualFold(n, name) {
			return n, t, true
		}
	}
	return "", Table{}, false
}

// SelectTables returns the tables of the backup that want names, spelled
// as in the manifest and sorted, or all of them when want is nil. Table
// names are case-insensitive in the service, so they are matched that way.
// A name not in the backup is an error that lists the tables it contains.
func (m *Manifest) SelectTables(want []string) ([]string, error) {
	if want == nil {
		return m.TableNames(), nil
	}
	byLower := map[string]string{}
	for name := range m.Tables {
		byLower[strings.ToLower(name)] = name
	}
	var names, unknown []string
	for _, name := range want {
		if real, ok := byLower[strings.ToLower(name)]; ok {
			names = append(names, real)
		} else {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("table(s) %s not found in the backup; it contains: %s", strings.Join(unknown, ", "), strings.Join(m.TableNames(), ", "))
	}
	sort.Strings(names)
	return names, nil
}

// Marshal encodes the manifest as indented JSON with a final newline.
func (m *Manifest) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the manifest into dir atomically, with owner-only
// permissions.
func Write(dir string, m *Manifest) error {
	data, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, FileName), data); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// ErrNoManifest is returned by Read when the folder has no manifest, which
// means it is not a complete backup.
var ErrNoManifest = errors.New("no " + FileName + ": the folder is not a complete backup (an interrupted backup leaves none)")

// Read reads and checks the manifest in dir. Besides JSON syntax it checks
// what must hold before any data file is opened: a known format version,
// file names that stay inside the folder, a hash for every table's file.
func Read(dir string) (*Manifest, error) {
	if err := checkFolder(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		if newest := newestBackupIn(dir); newest != "" {
			return nil, fmt.Errorf("%s: %w; it looks like a folder of backups, the newest being %s", dir, ErrNoManifest, newest)
		}
		return nil, fmt.Errorf("%s: %w", dir, ErrNoManifest)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readCapped(f, path)
	if err != nil {
		return nil, err
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// readCapped reads the manifest file f, opened from path, and rejects one
// over MaxBytes before reading further.
func readCapped(f *os.File, path string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes; it is not a backup manifest", path, MaxBytes)
	}
	return data, nil
}

// checkFolder reports a backup folder that does not exist or is a file.
func checkFolder(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("backup folder %s does not exist", dir)
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%s is not a folder; give the backup folder, such as ./backups/20261204-020000", dir)
	}
	return nil
}

// newestBackupIn returns the path of the newest complete backup directly
// inside dir, or "" if there is none. Backup folder names sort by time.
func newestBackupIn(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	newest := ""
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), FileName)); err == nil && e.Name() > newest {
			newest = e.Name()
		}
	}
	if newest == "" {
		return ""
	}
	return filepath.Join(dir, newest)
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Parse decodes and checks a manifest. See Read.
func Parse(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		if isLegacy(data) {
			return nil, ErrLegacy
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the manifest object")
	}
	if m.FormatVersion == 0 && isLegacy(data) {
		return nil, ErrLegacy
	}
	if m.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("unknown FormatVersion %d; this version of authagonal-tables reads version %d", m.FormatVersion, FormatVersion)
	}
	if m.Mode != ModeFull && m.Mode != ModeIncremental {
		return nil, fmt.Errorf("unknown Mode %q; expected %q or %q", m.Mode, ModeFull, ModeIncremental)
	}
	if m.Mode == ModeFull && m.ParentBackupID != "" {
		return nil, fmt.Errorf("a full backup has no parent, but ParentBackupId is %q", m.ParentBackupID)
	}
	if m.ParentBackupID != "" && !ValidID(m.ParentBackupID) {
		return nil, fmt.Errorf("ParentBackupId %q is not a backup id such as 20261204-020000", m.ParentBackupID)
	}
	for name, sum := range m.FileHashes {
		if err := CheckFileName(name); err != nil {
			return nil, fmt.Errorf("FileHashes: %w", err)
		}
		if !sha256Hex.MatchString(sum) {
			return nil, fmt.Errorf("FileHashes: %q: %q is not a lowercase hex SHA-256", name, sum)
		}
	}
	if m.Encryption != nil && m.Encryption.Scheme != EncryptionAge {
		return nil, fmt.Errorf("unknown Encryption.Scheme %q; this version of authagonal-tables knows %q", m.Encryption.Scheme, EncryptionAge)
	}
	for table, t := range m.Tables {
		if err := tables.ValidateName(table); err != nil {
			return nil, fmt.Errorf("Tables: %w", err)
		}
		if err := checkTable(&m, table, t); err != nil {
			return nil, fmt.Errorf("table %q: %w", table, err)
		}
	}
	return &m, nil
}

// checkTable checks the record of one table.
func checkTable(m *Manifest, table string, t Table) error {
	if t.File == "" {
		return errors.New("no File; every table of a backup has a data file")
	}
	used := map[string]bool{}
	for _, name := range t.Files() {
		if err := CheckFileName(name); err != nil {
			return err
		}
		if _, ok := m.FileHashes[name]; !ok {
			return fmt.Errorf("file %q has no entry in FileHashes", name)
		}
		if used[name] {
			return fmt.Errorf("file %q is listed twice", name)
		}
		if sealed := strings.HasSuffix(name, codec.EncryptedSuffix); sealed != (m.Encryption != nil) {
			if sealed {
				return fmt.Errorf("file %q is encrypted, but the manifest records no Encryption", name)
			}
			return fmt.Errorf("file %q is not encrypted, but the manifest records Encryption", name)
		}
		used[name] = true
	}
	switch {
	case t.EntityCount < 0:
		return fmt.Errorf("negative EntityCount %d", t.EntityCount)
	case t.KeyCount < 0:
		return fmt.Errorf("negative KeyCount %d", t.KeyCount)
	case t.DeletedCount < 0:
		return fmt.Errorf("negative DeletedCount %d", t.DeletedCount)
	case t.KeysFile == "" && t.KeyCount != 0:
		return fmt.Errorf("KeyCount is %d, but there is no KeysFile", t.KeyCount)
	case t.DeletedFile == "" && t.DeletedCount != 0:
		return fmt.Errorf("DeletedCount is %d, but there is no DeletedFile", t.DeletedCount)
	case t.DeletesTracked && t.DeletedFile == "":
		return errors.New("DeletesTracked is true, but there is no DeletedFile")
	case t.Watermark != nil && m.Mode != ModeIncremental:
		return errors.New("a full backup has a Watermark")
	case t.BaseBackupID != "" && !ValidID(t.BaseBackupID):
		return fmt.Errorf("BaseBackupId %q is not a backup id such as 20261204-020000", t.BaseBackupID)
	}
	return nil
}

// CheckFileName rejects a file name that could point outside the backup
// folder or at something other than a plain file in it.
func CheckFileName(name string) error {
	switch {
	case name == "":
		return errors.New("empty file name")
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("file name %q contains a NUL byte", name)
	case strings.ContainsAny(name, `/\`) || filepath.IsAbs(name):
		return fmt.Errorf("file name %q contains a path; only plain names inside the backup folder are allowed", name)
	case name == "." || name == ".." || strings.HasPrefix(name, "."):
		return fmt.Errorf("file name %q is not allowed: it must not start with a dot", name)
	case name == FileName || name == SignatureFile:
		return fmt.Errorf("file name %q is the manifest or its signature", name)
	}
	return nil
}

// IDFormat is the time layout of a backup id: the UTC start time. A second
// backup of the same second gets "-2", "-3" and so on, and an incremental
// ends in IncrementalSuffix, as in 20261204-030000-incr.
const IDFormat = "20060102-150405"

// IncrementalSuffix ends the id of an incremental backup.
const IncrementalSuffix = "-incr"

var idPattern = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}(-[0-9]+)?(-incr)?$`)

// ValidID reports whether id has the form of a backup id.
func ValidID(id string) bool { return idPattern.MatchString(id) }
