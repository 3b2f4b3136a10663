package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/tables"
)

// ErrLegacy is wrapped by the error of Read and Parse for a manifest
// written by the original Authagonal .NET backup tool. ReadAny and
// ReadLegacy read such a manifest.
var ErrLegacy = errors.New("written by the Authagonal .NET backup tool (it has no FormatVersion); verify and restore read it when given this backup folder itself")

// TombstonesName is the name, without its codec suffix, of the file in
// which an incremental backup of the .NET tool lists the entities deleted
// since its watermark, for every table at once.
const TombstonesName = "_tombstones"

// utf8BOM is the byte order mark that a .NET StreamWriter with
// Encoding.UTF8 writes first: the .NET tool wrote its data files that way,
// and its manifest too in the versions seen. A manifest without one is
// read as well.
var utf8BOM = []byte("\xef\xbb\xbf")

// Legacy describes what is particular to a backup of the .NET tool.
type Legacy struct {
	// Hashed reports whether the manifest records the SHA-256 of its files.
	// Without hashes, nothing proves that a file is the one the backup
	// wrote.
	Hashed bool
	// MAC reports whether the manifest carries a ManifestMac, an HMAC that
	// this tool does not check.
	MAC bool
	// TombstonesFile is the incremental backup's file of deletes, or "".
	TombstonesFile string
	// TombstoneCount is the number of lines of TombstonesFile.
	TombstoneCount int64
	// Deletes counts the lines of TombstonesFile per table, keyed by the
	// table's name in Tables. Verify sets it; ReadLegacy leaves it nil,
	// because it does not read the file.
	Deletes map[string]int64
}

// legacyManifest is _manifest.json as the .NET tool writes it: indented
// JSON with PascalCase names, null for unset values, and no file names.
// Fields that later versions of the tool added and that this tool has no
// use for, such as ChangeLogTables, are ignored.
type legacyManifest struct {
	BackupID          *string                `json:"BackupId"`
	BackupTimestamp   *time.Time             `json:"BackupTimestamp"`
	Mode              *string                `json:"Mode"`
	Compressed        bool                   `json:"Compressed"`
	Watermark         *time.Time             `json:"Watermark"`
	ParentBackupID    *string                `json:"ParentBackupId"`
	Tables            map[string]legacyTable `json:"Tables"`
	TombstoneCount    int64                  `json:"TombstoneCount"`
	TotalEntities     int64                  `json:"TotalEntities"`
	DurationSeconds   float64                `json:"DurationSeconds"`
	FileHashes        map[string]string      `json:"FileHashes"`
	ManifestMac       *string                `json:"ManifestMac"`
	WrappedContentKey *string                `json:"WrappedContentKey"`
}

type legacyTable struct {
	EntityCount     int64   `json:"EntityCount"`
	DurationSeconds float64 `json:"DurationSeconds"`
}

// isLegacy reports whether data is a manifest of the .NET tool: a JSON
// object without FormatVersion that has the fields every version of that
// tool writes. Detection requires all four, so a damaged manifest of this
// tool is not mistaken for one.
func isLegacy(data []byte) bool {
	// Only the first JSON value is decoded, so that ParseLegacy can name
	// what follows it.
	var fields map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM))).Decode(&fields); err != nil {
		return false
	}
	if _, ok := fields["FormatVersion"]; ok {
		return false
	}
	for _, name := range []string{"BackupId", "BackupTimestamp", "Mode", "Tables"} {
		if _, ok := fields[name]; !ok {
			return false
		}
	}
	return true
}

// ReadAny reads the manifest in dir, of this tool or of the .NET tool.
// A manifest of the .NET tool comes back converted, with Legacy set.
func ReadAny(dir string) (*Manifest, error) {
	m, err := Read(dir)
	if errors.Is(err, ErrLegacy) {
		return ReadLegacy(dir)
	}
	return m, err
}

// ReadLegacy reads the manifest that the .NET tool wrote in dir and
// converts it with ParseLegacy. It then looks at the folder for what that
// manifest leaves out: a table with no entities has no file, and an
// incremental backup has a file of deletes only when there were some.
func ReadLegacy(dir string) (*Manifest, error) {
	if err := checkFolder(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readCapped(f, path)
	if err != nil {
		return nil, err
	}
	m, err := ParseLegacy(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}

	for name, t := range m.Tables {
		if t.EntityCount == 0 && !exists(dir, t.File) {
			t.File = ""
			m.Tables[name] = t
		}
	}
	if name := m.Legacy.TombstonesFile; m.Legacy.TombstoneCount == 0 && !exists(dir, name) {
		m.Legacy.TombstonesFile = ""
	}
	return m, nil
}

func exists(dir, name string) bool {
	_, err := os.Lstat(filepath.Join(dir, name))
	return err == nil
}

// ParseLegacy decodes and checks a manifest of the .NET tool and converts
// it into a Manifest with Legacy set. Each table's File is named as the
// .NET tool names it, "<Table>.jsonl" or "<Table>.jsonl.gz" by Compressed.
// A manifest of an encrypted backup is rejected, because this tool cannot
// decrypt it.
func ParseLegacy(data []byte) (*Manifest, error) {
	if !isLegacy(data) {
		return nil, errors.New("not a manifest of the .NET backup tool: it needs BackupId, BackupTimestamp, Mode and Tables, and no FormatVersion")
	}
	var lm legacyManifest
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	if err := dec.Decode(&lm); err != nil {
		return nil, fmt.Errorf("invalid manifest of the .NET backup tool: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the manifest object")
	}
	if err := lm.check(); err != nil {
		return nil, err
	}

	c := codec.NameJSONL
	if lm.Compressed {
		c = codec.NameJSONLGzip
	}
	suffix := "." + c
	m := &Manifest{
		BackupID:        *lm.BackupID,
		BackupTimestamp: *lm.BackupTimestamp,
		Mode:            *lm.Mode,
		Compressed:      lm.Compressed,
		Codec:           c,
		ToolVersion:     "Authagonal .NET backup tool",
		Tables:          map[string]Table{},
		TotalEntities:   lm.TotalEntities,
		DurationSeconds: lm.DurationSeconds,
		FileHashes:      map[string]string{},
		Legacy: &Legacy{
			Hashed:         len(lm.FileHashes) > 0,
			MAC:            lm.ManifestMac != nil && *lm.ManifestMac != "",
			TombstonesFile: TombstonesName + suffix,
			TombstoneCount: lm.TombstoneCount,
		},
	}
	if lm.ParentBackupID != nil {
		// Kept for the report only: the chains of the .NET tool are not
		// followed, so an incremental is restored on its own.
		m.ParentBackupID = *lm.ParentBackupID
	}
	for name, sum := range lm.FileHashes {
		m.FileHashes[name] = strings.ToLower(sum)
	}
	for name, t := range lm.Tables {
		m.Tables[name] = Table{
			EntityCount:     t.EntityCount,
			DurationSeconds: t.DurationSeconds,
			File:            name + suffix,
			Watermark:       lm.Watermark,
		}
	}
	return m, nil
}

// check reports the first field of the manifest that this tool cannot use.
func (lm *legacyManifest) check() error {
	switch {
	case lm.WrappedContentKey != nil && *lm.WrappedContentKey != "":
		return errors.New("the backup was encrypted by the .NET backup tool (the manifest has a WrappedContentKey), and authagonal-tables cannot decrypt it; restore it with the .NET tool, then take a backup with authagonal-tables")
	case lm.BackupID == nil || *lm.BackupID == "":
		return errors.New("BackupId is missing or empty")
	case lm.BackupTimestamp == nil:
		return errors.New("BackupTimestamp is null")
	case lm.Mode == nil || (*lm.Mode != ModeFull && *lm.Mode != ModeIncremental):
		return fmt.Errorf("unknown Mode %s; expected %q or %q", describeMode(lm.Mode), ModeFull, ModeIncremental)
	case *lm.Mode == ModeIncremental && lm.Watermark == nil:
		return errors.New("Watermark is missing, but Mode is incremental: the manifest does not say from when the backup copied changes")
	case *lm.Mode == ModeFull && lm.TombstoneCount != 0:
		return fmt.Errorf("a full backup with TombstoneCount %d; only incremental backups record deletes", lm.TombstoneCount)
	case lm.TombstoneCount < 0:
		return fmt.Errorf("negative TombstoneCount %d", lm.TombstoneCount)
	case lm.Tables == nil:
		return errors.New("Tables is null")
	}
	for name, sum := range lm.FileHashes {
		if err := CheckFileName(name); err != nil {
			return fmt.Errorf("FileHashes: %w", err)
		}
		if !sha256Hex.MatchString(strings.ToLower(sum)) {
			return fmt.Errorf("FileHashes: %q: %q is not a hex SHA-256", name, sum)
		}
	}
	for name, t := range lm.Tables {
		if err := tables.ValidateName(name); err != nil {
			return fmt.Errorf("Tables: %w", err)
		}
		if t.EntityCount < 0 {
			return fmt.Errorf("table %q: negative EntityCount %d", name, t.EntityCount)
		}
	}
	return nil
}

func describeMode(mode *string) string {
	if mode == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *mode)
}
