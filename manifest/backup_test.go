package manifest_test

import (
	"filippo.io/age"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/manifest"
)

// testTable is a table to write into a test backup. Its lines are written
// as they are, valid or not, and the manifest records them as written.
type testTable struct {
	name  string
	lines []string
}

// goodLines returns n valid entity lines with distinct keys.
func goodLines(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = `{"PartitionKey":"p","RowKey":"` + string(rune('a'+i)) + `","Name":"alice","Age@odata.type":"Edm.Int64","Age":"42"}`
	}
	return lines
}

// writeBackup writes tables into a new folder as a complete backup: each
// data file through the codec and a HashWriter, then the manifest. It
// returns the folder and the manifest.
func writeBackup(t testing.TB, codecName string, tables ...testTable) (string, *manifest.Manifest) {
	t.Helper()
	c, err := codec.ByName(codecName)
	if err != nil {
		t.Fatalf("ByName: %v", err)
	}
	c = codec.WithKeys(c, testKeys)
	dir := t.TempDir()
	m := &manifest.Manifest{
		FormatVersion:   manifest.FormatVersion,
		BackupID:        "test",
		BackupTimestamp: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		Mode:            manifest.ModeFull,
		Compressed:      codecName == codec.NameJSONLGzip,
		Codec:           codecName,
		ToolVersion:     "test",
		Tables:          map[string]manifest.Table{},
		FileHashes:      map[string]string{},
		MissingTables:   []string{},
		ExcludedTables:  []manifest.Excluded{},
	}
	if _, sealed := codec.Encrypted(c); sealed {
		m.Encryption = &manifest.Encryption{Scheme: manifest.EncryptionAge, Recipients: []string{testIdentity.Recipient().String()}}
	}
	for _, table := range tables {
		file := table.name + c.Suffix()
		sum, size := writeDataFile(t, c, filepath.Join(dir, file), table.lines)
		m.Tables[table.name] = manifest.Table{EntityCount: int64(len(table.lines)), File: file, Bytes: size}
		m.FileHashes[file] = sum
		m.TotalEntities += int64(len(table.lines))
	}
	if err := manifest.Write(dir, m); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return dir, m
}

// writeDataFile writes lines to path with c and returns the file's SHA-256
// and size as a HashWriter counted them.
func writeDataFile(t testing.TB, c codec.Codec, path string, lines []string) (string, int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	hw := manifest.NewHashWriter(f)
	w, err := c.NewWriter(hw)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	for _, line := range lines {
		if err := w.WriteLine([]byte(line)); err != nil {
			t.Fatalf("WriteLine: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close codec writer: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close file: %v", err)
	}
	return hw.Sum(), hw.Bytes()
}

// rewriteManifest applies change to the manifest in dir and writes it back.
func rewriteManifest(t *testing.T, dir string, change func(*manifest.Manifest)) {
	t.Helper()
	m, err := manifest.Read(dir)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	change(m)
	if err := manifest.Write(dir, m); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// editFile applies change to the bytes of the file name in dir.
func editFile(t *testing.T, dir, name string, change func([]byte) []byte) {
	t.Helper()
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, change(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// testIdentity encrypts and decrypts the encrypted test backups.
var testIdentity = func() *age.X25519Identity {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		panic(err)
	}
	return id
}()

var testKeys = codec.Keys{Recipients: []age.Recipient{testIdentity.Recipient()}, Identities: []age.Identity{testIdentity}}
