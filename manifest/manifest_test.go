package manifest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/authagonal/authagonal-tables/manifest"
)

var update = flag.Bool("update", false, "rewrite testdata/manifest.golden.json from the output of Manifest.Marshal")

const goldenFile = "testdata/manifest.golden.json"

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// fixedManifest returns a manifest with every field set and a fixed clock,
// so its encoding never changes between runs.
func fixedManifest() *manifest.Manifest {
	watermark := time.Date(2024, 1, 2, 1, 55, 0, 1234567*100, time.UTC)
	serviceTime := time.Date(2024, 1, 2, 3, 4, 6, 0, time.UTC)
	return &manifest.Manifest{
		FormatVersion:   manifest.FormatVersion,
		BackupID:        "20240102-030405-incr",
		BackupTimestamp: time.Date(2024, 1, 2, 3, 4, 5, 123456700, time.UTC),
		Mode:            manifest.ModeIncremental,
		ParentBackupID:  "20240102-020000",
		OverlapSeconds:  300,
		TrackDeletes:    true,
		Compressed:      true,
		Codec:           "jsonl.gz",
		ToolVersion:     "0.1.0",
		Account: &manifest.Account{
			Name:          "devstoreaccount1",
			TableEndpoint: "http://127.0.0.1:10002/devstoreaccount1",
		},
		Tables: map[string]manifest.Table{
			"Users": {
				EntityCount: 3, DurationSeconds: 1.5, File: "Users.jsonl.gz", Bytes: 321,
				Watermark:    &watermark,
				ServiceTime:  &serviceTime,
				BaseBackupID: "20240102-020000",
				KeysFile:     "Users.keys.jsonl.gz", KeyCount: 10,
				DeletedFile: "Users.deleted.jsonl.gz", DeletedCount: 2,
				DeletesTracked: true,
			},
			"Clients": {
				EntityCount: 0, DurationSeconds: 0.25, File: "Clients.jsonl.gz", Bytes: 20,
				FullCopyReason: "no mark in .lastbackup for this table",
				ServiceTime:    &serviceTime,
				KeysFile:       "Clients.keys.jsonl.gz",
			},
		},
		TotalEntities:   3,
		DurationSeconds: 2.75,
		FileHashes: map[string]string{
			"Users.jsonl.gz":         sha256Hex("Users"),
			"Users.keys.jsonl.gz":    sha256Hex("Users keys"),
			"Users.deleted.jsonl.gz": sha256Hex("Users deleted"),
			"Clients.jsonl.gz":       sha256Hex("Clients"),
			"Clients.keys.jsonl.gz":  sha256Hex("Clients keys"),
		},
		MissingTables:  []string{"Grants"},
		ExcludedTables: []manifest.Excluded{{Name: "SigningKeys", Reason: "holds private keys <&>"}},
		FailedTables:   []manifest.Failed{{Name: "Grants", Error: "query table \"Grants\": 500 InternalError"}},
	}
}

func TestMarshalGolden(t *testing.T) {
	got, err := fixedManifest().Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if *update {
		if err := os.WriteFile(goldenFile, got, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("read golden file (run go test ./manifest -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Marshal output differs from %s; if the change is intended, run go test ./manifest -update\n got:\n%s\nwant:\n%s", goldenFile, got, want)
	}
}

func TestParseGolden(t *testing.T) {
	data, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("read golden file: %v", err)
	}
	m, err := manifest.Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if want := fixedManifest(); !reflect.DeepEqual(m, want) {
		t.Errorf("Parse(golden) =\n%+v\nexpected\n%+v", m, want)
	}
}

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	if err := manifest.Write(dir, fixedManifest()); err != nil {
		t.Fatalf("Write: %v", err)
	}

	path := filepath.Join(dir, manifest.FileName)
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read written manifest: %v", err)
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("read golden file: %v", err)
	}
	if !bytes.Equal(written, want) {
		t.Errorf("Write wrote different bytes than %s:\n%s", goldenFile, written)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("manifest permissions = %v, expected -rw-------", perm)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read folder: %v", err)
	}
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after Write, expected only the manifest", len(entries))
	}

	m, err := manifest.Read(dir)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !reflect.DeepEqual(m, fixedManifest()) {
		t.Errorf("Read returned\n%+v\nexpected\n%+v", m, fixedManifest())
	}
}

func TestWriteReplaces(t *testing.T) {
	dir := t.TempDir()
	first := fixedManifest()
	if err := manifest.Write(dir, first); err != nil {
		t.Fatalf("first Write: %v", err)
	}
	second := fixedManifest()
	second.BackupID = "second"
	if err := manifest.Write(dir, second); err != nil {
		t.Fatalf("second Write: %v", err)
	}
	m, err := manifest.Read(dir)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if m.BackupID != "second" {
		t.Errorf("BackupID = %q after the second Write, expected %q", m.BackupID, "second")
	}
}

func TestTableNames(t *testing.T) {
	got := fixedManifest().TableNames()
	if want := []string{"Clients", "Users"}; !reflect.DeepEqual(got, want) {
		t.Errorf("TableNames() = %v, expected %v", got, want)
	}
}

func TestParseInvalid(t *testing.T) {
	goodHash := sha256Hex("x")
	// withTableFile points table Users at file, listed with a valid hash, so
	// that the file name is the only thing wrong.
	withTableFile := func(file string) func(*manifest.Manifest) {
		return func(m *manifest.Manifest) {
			u := m.Tables["Users"]
			u.File = file
			m.Tables["Users"] = u
			m.FileHashes[file] = goodHash
		}
	}
	withHashKey := func(file string) func(*manifest.Manifest) {
		return func(m *manifest.Manifest) { m.FileHashes[file] = goodHash }
	}
	withUsersHash := func(sum string) func(*manifest.Manifest) {
		return func(m *manifest.Manifest) { m.FileHashes["Users.jsonl.gz"] = sum }
	}

	tests := []struct {
		name   string
		change func(*manifest.Manifest)
	}{
		{"format version 2", func(m *manifest.Manifest) { m.FormatVersion = 2 }},
		{"format version 0", func(m *manifest.Manifest) { m.FormatVersion = 0 }},
		{"mode differential", func(m *manifest.Manifest) { m.Mode = "differential" }},
		{"full with parent", func(m *manifest.Manifest) { m.Mode = manifest.ModeFull }},
		{"parent not an id", func(m *manifest.Manifest) { m.ParentBackupID = "../x" }},
		{"keys file unlisted", func(m *manifest.Manifest) { delete(m.FileHashes, "Users.keys.jsonl.gz") }},
		{"deleted file unlisted", func(m *manifest.Manifest) { delete(m.FileHashes, "Users.deleted.jsonl.gz") }},
		{"keys file parent", withUsers(func(u *manifest.Table) { u.KeysFile = "../Users.keys.jsonl.gz" })},
		{"keys file is data file", withUsers(func(u *manifest.Table) { u.KeysFile = u.File })},
		{"key count without file", withUsers(func(u *manifest.Table) { u.KeysFile, u.KeyCount = "", 3 })},
		{"deleted count without file", withUsers(func(u *manifest.Table) { u.DeletedFile, u.DeletedCount, u.DeletesTracked = "", 2, false })},
		{"tracked without file", withUsers(func(u *manifest.Table) { u.DeletedFile, u.DeletedCount = "", 0 })},
		{"negative deleted count", withUsers(func(u *manifest.Table) { u.DeletedCount = -1 })},
		{"negative key count", withUsers(func(u *manifest.Table) { u.KeyCount = -1 })},
		{"base not an id", withUsers(func(u *manifest.Table) { u.BaseBackupID = "x/y" })},
		{"mode empty", func(m *manifest.Manifest) { m.Mode = "" }},
		{"mode uppercase", func(m *manifest.Manifest) { m.Mode = "Full" }},
		{"table file dot dot", withTableFile("..")},
		{"table file parent", withTableFile("../Users.jsonl.gz")},
		{"table file slash", withTableFile("sub/Users.jsonl.gz")},
		{"table file backslash", withTableFile(`sub\Users.jsonl.gz`)},
		{"table file absolute", withTableFile("/etc/passwd")},
		{"table file NUL", withTableFile("Users\x00.jsonl.gz")},
		{"table file leading dot", withTableFile(".Users.jsonl.gz")},
		{"table file manifest", withTableFile(manifest.FileName)},
		{"table file empty", withTableFile("")},
		{"hash key dot dot", withHashKey("..")},
		{"hash key parent", withHashKey("../x.jsonl")},
		{"hash key slash", withHashKey("a/x.jsonl")},
		{"hash key backslash", withHashKey(`a\x.jsonl`)},
		{"hash key absolute", withHashKey("/x.jsonl")},
		{"hash key NUL", withHashKey("x\x00.jsonl")},
		{"hash key leading dot", withHashKey(".x.jsonl")},
		{"hash key manifest", withHashKey(manifest.FileName)},
		{"hash key empty", withHashKey("")},
		{"hash uppercase", withUsersHash(strings.ToUpper(goodHash))},
		{"hash short", withUsersHash(goodHash[:63])},
		{"hash long", withUsersHash(goodHash + "0")},
		{"hash not hex", withUsersHash(strings.Repeat("g", 64))},
		{"hash empty", withUsersHash("")},
		{"table file unlisted", func(m *manifest.Manifest) { delete(m.FileHashes, "Users.jsonl.gz") }},
		{"negative count", func(m *manifest.Manifest) {
			u := m.Tables["Users"]
			u.EntityCount = -1
			m.Tables["Users"] = u
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fixedManifest()
			tt.change(m)
			data, err := m.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if _, err := manifest.Parse(data); err == nil {
				t.Errorf("Parse accepted:\n%s", data)
			}
		})
	}
}

// withUsers returns a change to the Users table of a manifest.
func withUsers(change func(*manifest.Table)) func(*manifest.Manifest) {
	return func(m *manifest.Manifest) {
		u := m.Tables["Users"]
		change(&u)
		m.Tables["Users"] = u
	}
}

func TestParseInvalidJSON(t *testing.T) {
	good, err := fixedManifest().Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"null", []byte("null")},
		{"array", []byte("[]")},
		{"truncated", good[:len(good)/2]},
		{"trailing text", append(bytes.Clone(good), "x"...)},
		{"trailing object", append(bytes.Clone(good), "{}"...)},
		{"trailing number", append(bytes.Clone(good), "1"...)},
		{"trailing brace", append(bytes.Clone(good), "}"...)},
		{"trailing bracket", append(bytes.Clone(good), "]"...)},
		{"wrong type", []byte(`{"FormatVersion":"1","Mode":"full"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := manifest.Parse(tt.data); err == nil {
				t.Errorf("Parse accepted %d bytes ending in %q", len(tt.data), tt.data[max(0, len(tt.data)-12):])
			}
		})
	}
}

func TestParseTrailingSpace(t *testing.T) {
	good, err := fixedManifest().Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if _, err := manifest.Parse(append(good, " \n\t\r\n"...)); err != nil {
		t.Errorf("Parse rejected trailing white space: %v", err)
	}
}

func TestCheckFileName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr bool
	}{
		{"Users.jsonl", false},
		{"Users.jsonl.gz", false},
		{"My.Table_1-a.jsonl", false},
		{"Zürich.jsonl", false},
		{"a..b.jsonl", false},
		{"", true},
		{".", true},
		{"..", true},
		{"../Users.jsonl", true},
		{"..Users.jsonl", true},
		{".hidden", true},
		{"a/b", true},
		{`a\b`, true},
		{"/abs", true},
		{"a\x00b", true},
		{manifest.FileName, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := manifest.CheckFileName(tt.name)
			if tt.wantErr && err == nil {
				t.Errorf("CheckFileName(%q) = nil, expected an error", tt.name)
			}
			if !tt.wantErr && err != nil {
				t.Errorf("CheckFileName(%q) = %v, expected nil", tt.name, err)
			}
		})
	}
}

func TestReadMissing(t *testing.T) {
	_, err := manifest.Read(t.TempDir())
	if !errors.Is(err, manifest.ErrNoManifest) {
		t.Errorf("Read of an empty folder = %v, expected ErrNoManifest", err)
	}
}

func TestReadMissingFolder(t *testing.T) {
	_, err := manifest.Read(filepath.Join(t.TempDir(), "absent"))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Read of a missing folder = %v, expected an error saying it does not exist", err)
	}
}

func TestReadManifestIsFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, manifest.FileName), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := manifest.Read(dir)
	if err == nil {
		t.Fatal("Read succeeded on a folder named like the manifest")
	}
	if errors.Is(err, manifest.ErrNoManifest) {
		t.Errorf("Read = %v, which claims the manifest is absent", err)
	}
}

func TestReadSizeLimit(t *testing.T) {
	good, err := fixedManifest().Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{"at MaxBytes", manifest.MaxBytes, false},
		{"over MaxBytes", manifest.MaxBytes + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// Trailing spaces keep the JSON valid, so only the size decides.
			data := append(bytes.Clone(good), bytes.Repeat([]byte(" "), tt.size-len(good))...)
			if err := os.WriteFile(filepath.Join(dir, manifest.FileName), data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := manifest.Read(dir)
			if tt.wantErr && err == nil {
				t.Errorf("Read accepted a manifest of %d bytes", tt.size)
			}
			if !tt.wantErr && err != nil {
				t.Errorf("Read rejected a manifest of %d bytes: %v", tt.size, err)
			}
		})
	}
}

func TestReadInvalid(t *testing.T) {
	dir := t.TempDir()
	m := fixedManifest()
	m.FormatVersion = 99
	data, err := m.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifest.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = manifest.Read(dir)
	if err == nil {
		t.Fatal("Read accepted FormatVersion 99")
	}
	if !strings.Contains(err.Error(), "99") {
		t.Errorf("error %q does not show the version found", err)
	}
}

func TestReadSuggestsNewestBackup(t *testing.T) {
	output := t.TempDir()
	for _, id := range []string{"20261203-020000", "20261204-020000", "20261205-020000"} {
		dir := filepath.Join(output, id)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if id != "20261205-020000" { // the newest is incomplete
			if err := os.WriteFile(filepath.Join(dir, manifest.FileName), []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err := manifest.Read(output)
	if !errors.Is(err, manifest.ErrNoManifest) {
		t.Fatalf("err = %v, want ErrNoManifest", err)
	}
	if !strings.Contains(err.Error(), "20261204-020000") {
		t.Errorf("error does not suggest the newest complete backup: %v", err)
	}
}
