package manifest_test

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/manifest"
)

// The folders under testdata/legacy are written by hand in the format of
// the Authagonal .NET backup tool:
//
//   - full-nohash: plain files, a manifest without FileHashes.
//   - full-empty-hashes: plain files with a byte order mark and CRLF line
//     ends, a manifest with an empty FileHashes.
//   - full-gz-hashed: gzip files, a manifest with a byte order mark and
//     the SHA-256 of every file.
//   - incremental: an incremental with a file of deletes.
//   - incremental-gz-hashed: a gzip incremental with the SHA-256 of every
//     file, a byte order mark in each file and CRLF line ends in its file
//     of deletes. Its 5 deletes, not in key order, are 3 of Users (one
//     spelled "users"), 1 of Clients and 1 of SigningKeys, a table the
//     backup does not hold.
//   - invalid-lines: lines that no restore can write.
//
// Each full backup holds Users (3 entities), Clients (2) and Grants (0,
// so it has no file).
const legacyData = "testdata/legacy"

// copyLegacy copies a fixture folder to a temporary folder that a test
// may change.
func copyLegacy(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join(legacyData, name))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(legacyData, name, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadLegacyFixtures(t *testing.T) {
	tests := []struct {
		name       string
		codec      string
		hashed     bool
		mode       string
		tables     map[string]string
		tombstones string
	}{
		{"full-nohash", "jsonl", false, manifest.ModeFull, map[string]string{"Users": "Users.jsonl", "Clients": "Clients.jsonl", "Grants": ""}, ""},
		{"full-empty-hashes", "jsonl", false, manifest.ModeFull, map[string]string{"Users": "Users.jsonl", "Clients": "Clients.jsonl", "Grants": ""}, ""},
		{"full-gz-hashed", "jsonl.gz", true, manifest.ModeFull, map[string]string{"Users": "Users.jsonl.gz", "Clients": "Clients.jsonl.gz", "Grants": ""}, ""},
		{"incremental", "jsonl", false, manifest.ModeIncremental, map[string]string{"Users": "Users.jsonl", "Clients": ""}, "_tombstones.jsonl"},
		{"incremental-gz-hashed", "jsonl.gz", true, manifest.ModeIncremental, map[string]string{"Users": "Users.jsonl.gz", "Clients": "", "Grants": ""}, "_tombstones.jsonl.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(legacyData, tt.name)
			if _, err := manifest.Read(dir); !errors.Is(err, manifest.ErrLegacy) {
				t.Errorf("Read error = %v, want ErrLegacy", err)
			}
			m, err := manifest.ReadAny(dir)
			if err != nil {
				t.Fatalf("ReadAny: %v", err)
			}
			if m.Legacy == nil {
				t.Fatal("Legacy is nil")
			}
			if m.Codec != tt.codec {
				t.Errorf("Codec = %q, want %q", m.Codec, tt.codec)
			}
			if m.Mode != tt.mode {
				t.Errorf("Mode = %q, want %q", m.Mode, tt.mode)
			}
			if m.Legacy.Hashed != tt.hashed {
				t.Errorf("Hashed = %t, want %t", m.Legacy.Hashed, tt.hashed)
			}
			if m.Legacy.TombstonesFile != tt.tombstones {
				t.Errorf("TombstonesFile = %q, want %q", m.Legacy.TombstonesFile, tt.tombstones)
			}
			if len(m.Tables) != len(tt.tables) {
				t.Errorf("got %d tables, want %d", len(m.Tables), len(tt.tables))
			}
			for name, file := range tt.tables {
				if got := m.Tables[name].File; got != file {
					t.Errorf("table %s: File = %q, want %q", name, got, file)
				}
				if tt.mode == manifest.ModeIncremental && !m.Tables[name].Incremental() {
					t.Errorf("table %s of an incremental has no watermark", name)
				}
			}
		})
	}
}

func TestParseLegacyManifestRejects(t *testing.T) {
	const tables = `"Tables":{"Users":{"EntityCount":1,"DurationSeconds":0.1}}`
	tests := []struct {
		name     string
		manifest string
		want     string
	}{
		{"encrypted", `{"BackupId":"20260301-091500","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full",` + tables + `,"WrappedContentKey":"AAAA"}`, "cannot decrypt"},
		{"empty BackupId", `{"BackupId":"","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full",` + tables + `}`, "BackupId is missing or empty"},
		{"null timestamp", `{"BackupId":"x","BackupTimestamp":null,"Mode":"full",` + tables + `}`, "BackupTimestamp is null"},
		{"bad timestamp", `{"BackupId":"x","BackupTimestamp":"yesterday","Mode":"full",` + tables + `}`, "invalid manifest of the .NET backup tool"},
		{"unknown mode", `{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"differential",` + tables + `}`, `unknown Mode "differential"`},
		{"incremental without watermark", `{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"incremental","Watermark":null,` + tables + `}`, "Watermark is missing"},
		{"full with deletes", `{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full","TombstoneCount":3,` + tables + `}`, "TombstoneCount 3"},
		{"negative count", `{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full","Tables":{"Users":{"EntityCount":-1}}}`, "negative EntityCount"},
		{"bad table name", `{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full","Tables":{"1Users":{"EntityCount":1}}}`, "Tables:"},
		{"null tables", `{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full","Tables":null}`, "Tables is null"},
		{"hash not hex", `{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full",` + tables + `,"FileHashes":{"Users.jsonl":"abc"}}`, "is not a hex SHA-256"},
		{"hash of a path", `{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full",` + tables + `,"FileHashes":{"../Users.jsonl":"` + strings.Repeat("a", 64) + `"}}`, "contains a path"},
		{"data after object", `{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full",` + tables + `} {}`, "data after the manifest object"},
		{"has FormatVersion", `{"FormatVersion":1,"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full",` + tables + `}`, "not a manifest of the .NET backup tool"},
		{"lacks Tables", `{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full"}`, "not a manifest of the .NET backup tool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := manifest.ParseLegacy([]byte(tt.manifest))
			if err == nil {
				t.Fatalf("ParseLegacy succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseLegacyManifestUppercaseHash(t *testing.T) {
	sum := strings.Repeat("AB", 32)
	m, err := manifest.ParseLegacy([]byte(`{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full","Tables":{},"FileHashes":{"Users.jsonl":"` + sum + `"}}`))
	if err != nil {
		t.Fatalf("ParseLegacy: %v", err)
	}
	if got := m.FileHashes["Users.jsonl"]; got != strings.ToLower(sum) {
		t.Errorf("hash = %q, want it in lowercase", got)
	}
}

// A damaged manifest of this tool must not be read as one of the .NET
// tool just because it lacks FormatVersion.
func TestParseOwnManifestWithoutVersion(t *testing.T) {
	_, err := manifest.Parse([]byte(`{"BackupId":"x","Mode":"full","Tables":{}}`))
	if err == nil || errors.Is(err, manifest.ErrLegacy) {
		t.Fatalf("Parse error = %v, want an unknown FormatVersion", err)
	}
	if !strings.Contains(err.Error(), "unknown FormatVersion 0") {
		t.Errorf("error = %v, want it to name FormatVersion 0", err)
	}
}

func TestVerifyLegacyFixtures(t *testing.T) {
	tests := []struct {
		name     string
		hashed   bool
		entities map[string]int64
	}{
		{"full-nohash", false, map[string]int64{"Users": 3, "Clients": 2, "Grants": 0}},
		{"full-empty-hashes", false, map[string]int64{"Users": 3, "Clients": 2, "Grants": 0}},
		{"full-gz-hashed", true, map[string]int64{"Users": 3, "Clients": 2, "Grants": 0}},
		{"incremental", false, map[string]int64{"Users": 1, "Clients": 0}},
		{"incremental-gz-hashed", true, map[string]int64{"Users": 2, "Clients": 0, "Grants": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := verify(t, filepath.Join(legacyData, tt.name), manifest.VerifyOptions{})
			checkProblems(t, r, nil)
			for _, res := range r.Tables {
				if res.Entities != tt.entities[res.Name] || !res.OK {
					t.Errorf("table %s: %d entities, ok %t; want %d, ok", res.Name, res.Entities, res.OK, tt.entities[res.Name])
				}
			}
			warnings := strings.Join(r.Warnings, "\n")
			if got := strings.Contains(warnings, "INTEGRITY NOT PROVEN"); got == tt.hashed {
				t.Errorf("warning INTEGRITY NOT PROVEN present: %t, want %t:\n%s", got, !tt.hashed, warnings)
			}
			if !strings.Contains(warnings, `table "Users": types inferred from the values`) {
				t.Errorf("no inference warning for Users:\n%s", warnings)
			}
			if strings.Contains(warnings, `table "Grants"`) {
				t.Errorf("a warning names the empty table Grants:\n%s", warnings)
			}
		})
	}
}

func TestVerifyLegacyWarnsPerTable(t *testing.T) {
	r := verify(t, filepath.Join(legacyData, "full-nohash"), manifest.VerifyOptions{})
	want := `table "Users": types inferred from the values (7 String, 2 Guid, 2 DateTime, 3 Int32, 3 Int64, 2 Double, 2 Boolean)`
	found := false
	for _, w := range r.Warnings {
		found = found || strings.HasPrefix(w, want)
	}
	if !found {
		t.Errorf("no warning starting %q:\n%s", want, strings.Join(r.Warnings, "\n"))
	}

	r = verify(t, filepath.Join(legacyData, "full-nohash"), manifest.VerifyOptions{LegacyTypes: entity.LegacyString})
	want = `table "Users": types inferred with --legacy-types string (11 String, 3 Int32, 3 Int64, 2 Double, 2 Boolean)`
	found = false
	for _, w := range r.Warnings {
		found = found || strings.HasPrefix(w, want)
	}
	if !found {
		t.Errorf("no warning starting %q:\n%s", want, strings.Join(r.Warnings, "\n"))
	}
}

func TestVerifyLegacyInvalidLines(t *testing.T) {
	r := verify(t, filepath.Join(legacyData, "invalid-lines"), manifest.VerifyOptions{})
	checkProblems(t, r, []wantProblem{
		{"Users.jsonl", 2, `property "Claims": is an object`},
		{"Users.jsonl", 3, `"last Tuesday" is not an ISO 8601 date-time`},
		{"Users.jsonl", 4, "missing RowKey"},
		{"Users.jsonl", 5, `property "Email" appears twice`},
		{"Users.jsonl", 6, `annotation "Score@odata.type"`},
		{"Users.jsonl", 7, "PartitionKey is null"},
		{"Users.jsonl", 8, "out of the range of a double"},
		{"Users.jsonl", 9, "duplicate key"},
		{"Users.jsonl", 0, "holds 9 entities, but the manifest records 8"},
	})
}

func TestVerifyLegacyProblems(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		change  func(t *testing.T, dir string)
		want    []wantProblem
	}{
		{
			name:    "changed file with hashes",
			fixture: "full-gz-hashed",
			change: func(t *testing.T, dir string) {
				copyFile(t, filepath.Join(legacyData, "full-gz-hashed", "Clients.jsonl.gz"), filepath.Join(dir, "Users.jsonl.gz"))
			},
			want: []wantProblem{
				{"Users.jsonl.gz", 0, "SHA-256 is"},
				{"Users.jsonl.gz", 0, "holds 2 entities, but the manifest records 3"},
			},
		},
		{
			name:    "file without hash beside hashed files",
			fixture: "full-gz-hashed",
			change: func(t *testing.T, dir string) {
				copyFile(t, filepath.Join(dir, "Clients.jsonl.gz"), filepath.Join(dir, "Grants.jsonl.gz"))
			},
			want: []wantProblem{
				{"Grants.jsonl.gz", 0, "has no entry in FileHashes"},
				{"Grants.jsonl.gz", 0, "holds 2 entities, but the manifest records 0"},
			},
		},
		{
			name:    "hashed file missing",
			fixture: "full-gz-hashed",
			change:  func(t *testing.T, dir string) { remove(t, dir, "Clients.jsonl.gz") },
			want:    []wantProblem{{"Clients.jsonl.gz", 0, "file is missing"}},
		},
		{
			name:    "file missing without hashes",
			fixture: "full-nohash",
			change:  func(t *testing.T, dir string) { remove(t, dir, "Users.jsonl") },
			want:    []wantProblem{{"Users.jsonl", 0, "file is missing"}},
		},
		{
			name:    "unlisted data file",
			fixture: "full-nohash",
			change: func(t *testing.T, dir string) {
				copyFile(t, filepath.Join(dir, "Clients.jsonl"), filepath.Join(dir, "Sessions.jsonl"))
			},
			want: []wantProblem{{"Sessions.jsonl", 0, "data file not listed in the manifest"}},
		},
		{
			name:    "suffix against the Compressed flag",
			fixture: "full-nohash",
			change: func(t *testing.T, dir string) {
				if err := os.Rename(filepath.Join(dir, "Users.jsonl"), filepath.Join(dir, "Users.jsonl.gz")); err != nil {
					t.Fatal(err)
				}
			},
			want: []wantProblem{
				{"Users.jsonl", 0, "file is missing"},
				{"Users.jsonl.gz", 0, `the manifest has Compressed false, so the file of table "Users" is Users.jsonl`},
			},
		},
		{
			name:    "line removed without hashes",
			fixture: "full-nohash",
			change: func(t *testing.T, dir string) {
				path := filepath.Join(dir, "Users.jsonl")
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.SplitAfter(string(data), "\n")
				if err := os.WriteFile(path, []byte(strings.Join(lines[1:], "")), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: []wantProblem{{"Users.jsonl", 0, "holds 2 entities, but the manifest records 3"}},
		},
		{
			name:    "last line cut",
			fixture: "full-empty-hashes",
			change: func(t *testing.T, dir string) {
				path := filepath.Join(dir, "Clients.jsonl")
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, data[:len(data)-10], 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: []wantProblem{
				{"Clients.jsonl", 0, "last line has no newline"},
				{"Clients.jsonl", 0, "holds 1 entities, but the manifest records 2"},
			},
		},
		{
			name:    "deletes missing",
			fixture: "incremental",
			change:  func(t *testing.T, dir string) { remove(t, dir, "_tombstones.jsonl") },
			want:    []wantProblem{{"_tombstones.jsonl", 0, "file is missing"}},
		},
		{
			name:    "delete without table",
			fixture: "incremental",
			change: func(t *testing.T, dir string) {
				write(t, dir, "_tombstones.jsonl", `{"PartitionKey":"p","RowKey":"r"}`+"\n"+`{"Table":"Users","PartitionKey":"p","RowKey":"r","Extra":1}`+"\n")
			},
			want: []wantProblem{
				{"_tombstones.jsonl", 1, "missing Table"},
				{"_tombstones.jsonl", 2, `unknown field "Extra"`},
			},
		},
		{
			name:    "delete of a table not in the manifest",
			fixture: "incremental",
			change: func(t *testing.T, dir string) {
				write(t, dir, "_tombstones.jsonl", `{"Table":"Users","PartitionKey":"p","RowKey":"r"}`+"\n"+`{"Table":"Sessions","PartitionKey":"p","RowKey":"r"}`+"\n")
			},
			// Not a problem: the .NET tool records the deletes of every
			// table. TestVerifyLegacyDeletesOfOtherTables checks the warning.
			want: nil,
		},
		{
			name:    "changed deletes with hashes",
			fixture: "incremental-gz-hashed",
			change: func(t *testing.T, dir string) {
				copyFile(t, filepath.Join(legacyData, "full-gz-hashed", "Clients.jsonl.gz"), filepath.Join(dir, "_tombstones.jsonl.gz"))
			},
			want: []wantProblem{
				{"_tombstones.jsonl.gz", 1, "invalid line of deletes"},
				{"_tombstones.jsonl.gz", 2, "invalid line of deletes"},
				{"_tombstones.jsonl.gz", 0, "holds 2 deletes, but the manifest records TombstoneCount 5"},
				{"_tombstones.jsonl.gz", 0, "SHA-256 is"},
			},
		},
		{
			name:    "fewer deletes than recorded",
			fixture: "incremental",
			change: func(t *testing.T, dir string) {
				write(t, dir, "_tombstones.jsonl", `{"Table":"Users","PartitionKey":"p","RowKey":"r"}`+"\n")
			},
			want: []wantProblem{{"_tombstones.jsonl", 0, "holds 1 deletes, but the manifest records TombstoneCount 2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyLegacy(t, tt.fixture)
			tt.change(t, dir)
			r := verify(t, dir, manifest.VerifyOptions{})
			checkProblems(t, r, tt.want)
		})
	}
}

func TestVerifyLegacyCountsDeletes(t *testing.T) {
	r := verify(t, filepath.Join(legacyData, "incremental-gz-hashed"), manifest.VerifyOptions{})
	checkProblems(t, r, nil)
	want := map[string]int64{"Users": 3, "Clients": 1}
	got := r.Manifest.Legacy.Deletes
	if len(got) != len(want) || got["Users"] != want["Users"] || got["Clients"] != want["Clients"] {
		t.Errorf("Deletes = %v, want %v", got, want)
	}
	warnings := strings.Join(r.Warnings, "\n")
	if !strings.Contains(warnings, "_tombstones.jsonl.gz: 1 deletes of table SigningKeys are not applied") {
		t.Errorf("no warning about the deletes of SigningKeys:\n%s", warnings)
	}
}

// Restoring any table reads the whole file of deletes, so verify checks it
// when it checks some tables only.
func TestVerifyLegacyDeletesWithTables(t *testing.T) {
	dir := copyLegacy(t, "incremental-gz-hashed")
	copyFile(t, filepath.Join(legacyData, "full-gz-hashed", "Clients.jsonl.gz"), filepath.Join(dir, "_tombstones.jsonl.gz"))
	r := verify(t, dir, manifest.VerifyOptions{Tables: []string{"Grants"}})
	checkProblems(t, r, []wantProblem{
		{"_tombstones.jsonl.gz", 1, "invalid line of deletes"},
		{"_tombstones.jsonl.gz", 2, "invalid line of deletes"},
		{"_tombstones.jsonl.gz", 0, "holds 2 deletes, but the manifest records TombstoneCount 5"},
		{"_tombstones.jsonl.gz", 0, "SHA-256 is"},
	})
}

// A folder of backups lists a .NET tool backup as damaged, with the
// advice to give its folder.
func TestScanLegacyIsDamaged(t *testing.T) {
	entries, err := manifest.Scan(legacyData)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Status != manifest.Damaged || !errors.Is(e.Err, manifest.ErrLegacy) {
			t.Errorf("%s: status %s, error %v; want damaged with ErrLegacy", e.Name, e.Status, e.Err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A key given to verify makes an unsigned .NET tool backup fail, as an
// unsigned backup of this tool does, so no one can swap one in.
func TestVerifyLegacyWithKeyNeedsSignature(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := verify(t, filepath.Join(legacyData, "full-gz-hashed"), manifest.VerifyOptions{VerifyKeys: []ed25519.PublicKey{pub}})
	checkProblems(t, r, []wantProblem{{manifest.SignatureFile, 0, "the backup is not signed"}})
}

func TestVerifyLegacyDeletesOfOtherTables(t *testing.T) {
	dir := copyLegacy(t, "incremental")
	write(t, dir, "_tombstones.jsonl", `{"Table":"Users","PartitionKey":"p","RowKey":"r"}`+"\n"+`{"Table":"Sessions","PartitionKey":"p","RowKey":"r"}`+"\n")
	r := verify(t, dir, manifest.VerifyOptions{})
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "1 deletes of table Sessions are not applied") {
		t.Errorf("warnings %q, want one about Sessions", r.Warnings)
	}
}
