// Package backuptest writes folders of backups for tests: backup folders
// with real manifests and small data files, on a schedule of full and
// incremental backups, without a storage account.
package backuptest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/manifest"
)

// Spec describes one backup to write.
type Spec struct {
	ID   string
	Time time.Time
	// Parent is the ParentBackupId; empty for a full backup.
	Parent string
	Tables []string
	// Base maps a table to the BaseBackupId of its copy when it is not
	// Parent.
	Base map[string]string
}

// Incremental reports whether the spec is an incremental backup.
func (s Spec) Incremental() bool { return s.Parent != "" }

// ID returns the backup id of a backup that starts at t.
func ID(t time.Time, incremental bool) string {
	id := t.UTC().Format(manifest.IDFormat)
	if incremental {
		id += manifest.IncrementalSuffix
	}
	return id
}

// Schedule returns the backups of a daily full backup at 02:00 UTC and an
// incremental at every other hour, oldest first, from the full backup of
// the day of start for the given number of days. Each incremental follows
// the backup before it and copies changes in every table.
func Schedule(start time.Time, days int, tables ...string) []Spec {
	day := time.Date(start.Year(), start.Month(), start.Day(), 2, 0, 0, 0, time.UTC)
	var specs []Spec
	parent := ""
	for h := 0; h < days*24; h++ {
		t := day.Add(time.Duration(h) * time.Hour)
		s := Spec{ID: ID(t, h%24 != 0), Time: t, Tables: tables}
		if h%24 != 0 {
			s.Parent = parent
		}
		specs = append(specs, s)
		parent = s.ID
	}
	return specs
}

// serviceTime is the service's clock when the backup of a table starts,
// one second after the backup.
func serviceTime(t time.Time) time.Time { return t.Add(time.Second).UTC() }

// Write writes the backup s into dir, the folder of backups, and returns
// its folder. An incremental's tables hold the changes since the service
// time of the backup they follow, minus a 5-minute overlap, so that
// manifest.CheckChain accepts the chain. The data files hold one line
// each; they are not meant for verify.
func Write(t testing.TB, dir string, s Spec) string {
	t.Helper()
	folder := filepath.Join(dir, s.ID)
	if err := os.MkdirAll(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	m := &manifest.Manifest{
		FormatVersion: manifest.FormatVersion, BackupID: s.ID, BackupTimestamp: s.Time.UTC(),
		Mode: manifest.ModeFull, Codec: "jsonl", ParentBackupID: s.Parent, TrackDeletes: true,
		Tables: map[string]manifest.Table{}, FileHashes: map[string]string{},
		MissingTables: []string{}, ExcludedTables: []manifest.Excluded{},
	}
	if s.Incremental() {
		m.Mode = manifest.ModeIncremental
		m.OverlapSeconds = 300
	}
	st := serviceTime(s.Time)
	for _, table := range s.Tables {
		tb := manifest.Table{
			EntityCount: 1, File: table + ".jsonl", KeysFile: table + ".keys.jsonl", KeyCount: 1, ServiceTime: &st,
		}
		writeFile(t, folder, m, tb.File, `{"PartitionKey":"p","RowKey":"`+s.ID+`"}`)
		writeFile(t, folder, m, tb.KeysFile, `{"PartitionKey":"p","RowKey":"`+s.ID+`"}`)
		if s.Incremental() {
			base := s.Parent
			if b, ok := s.Base[table]; ok {
				base = b
			}
			// An hour and the overlap before this backup: the watermark
			// of an hourly schedule, never after the base's service time.
			w := st.Add(-time.Hour - 5*time.Minute)
			tb.Watermark, tb.BaseBackupID = &w, base
			tb.DeletedFile, tb.DeletesTracked = table+".deleted.jsonl", true
			writeFile(t, folder, m, tb.DeletedFile, "")
		}
		m.Tables[table] = tb
		m.TotalEntities += tb.EntityCount
	}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	// A plain write, without the fsync of manifest.Write: a history has
	// hundreds of backups, and a test does not crash halfway.
	if err := os.WriteFile(filepath.Join(folder, manifest.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return folder
}

func writeFile(t testing.TB, folder string, m *manifest.Manifest, name, line string) {
	t.Helper()
	content := []byte(line)
	if line != "" {
		content = append(content, '\n')
	}
	if err := os.WriteFile(filepath.Join(folder, name), content, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	m.FileHashes[name] = hex.EncodeToString(sum[:])
}

// WriteAll writes every backup of specs into dir.
func WriteAll(t testing.TB, dir string, specs []Spec) {
	t.Helper()
	for _, s := range specs {
		Write(t, dir, s)
	}
}

// WriteMarks writes dir/.lastbackup with each table's mark set by the
// backup of s that marks names for it.
func WriteMarks(t testing.TB, dir string, marks map[string]Spec) {
	t.Helper()
	m := backup.Marks{FormatVersion: 1, Tables: map[string]backup.Mark{}}
	for table, s := range marks {
		m.Tables[table] = backup.Mark{ServiceTime: serviceTime(s.Time), BackupID: s.ID}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, backup.MarksFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
}
