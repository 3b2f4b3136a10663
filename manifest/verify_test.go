package manifest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/manifest"
)

// wantProblem describes one problem that Verify must report: on file
// (empty for the folder as a whole), at line (0 when not about a line),
// with a message that contains text.
type wantProblem struct {
	file string
	line int64
	text string
}

// checkProblems checks that the report contains exactly the expected
// problems, in any order.
func checkProblems(t *testing.T, r *manifest.Report, want []wantProblem) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, p := range r.Problems {
			if p.File == w.file && p.Line == w.line && strings.Contains(p.Message, w.text) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no problem on file %q line %d containing %q; problems:%s", w.file, w.line, w.text, listProblems(r))
		}
	}
	if len(r.Problems) != len(want) {
		t.Errorf("got %d problems, expected %d:%s", len(r.Problems), len(want), listProblems(r))
	}
}

func listProblems(r *manifest.Report) string {
	var b strings.Builder
	for _, p := range r.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

func verify(t *testing.T, dir string, opts manifest.VerifyOptions) *manifest.Report {
	t.Helper()
	r, err := manifest.Verify(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return r
}

func TestVerifyGood(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			dir, m := writeBackup(t, c.Name(),
				testTable{"Users", goodLines(3)},
				testTable{"Clients", goodLines(1)},
				testTable{"Empty", nil},
			)
			r := verify(t, dir, manifest.VerifyOptions{Keys: testKeys})

			if !r.OK() {
				t.Errorf("good backup failed verification:%s", listProblems(r))
			}
			if err := r.Err(); err != nil {
				t.Errorf("Err() = %v, expected nil", err)
			}
			if len(r.Tables) != len(m.Tables) {
				t.Fatalf("report has %d tables, expected %d", len(r.Tables), len(m.Tables))
			}
			for _, res := range r.Tables {
				want := m.Tables[res.Name]
				if !res.OK {
					t.Errorf("table %s: OK = false", res.Name)
				}
				if res.File != want.File {
					t.Errorf("table %s: File = %q, expected %q", res.Name, res.File, want.File)
				}
				if res.Entities != want.EntityCount {
					t.Errorf("table %s: Entities = %d, expected %d", res.Name, res.Entities, want.EntityCount)
				}
				if res.Bytes != want.Bytes {
					t.Errorf("table %s: Bytes = %d, expected %d", res.Name, res.Bytes, want.Bytes)
				}
			}
		})
	}
}

func TestVerifyProblems(t *testing.T) {
	users := testTable{"Users", goodLines(3)}
	withLine := func(line string) testTable {
		return testTable{"Users", []string{goodLines(1)[0], line, goodLines(3)[2]}}
	}
	flipInName := func(data []byte) []byte {
		i := bytes.Index(data, []byte("alice"))
		data[i] ^= 0x01
		return data
	}

	tests := []struct {
		name   string
		codec  string
		tables []testTable
		tamper func(t *testing.T, dir string)
		opts   manifest.VerifyOptions
		want   []wantProblem
	}{
		{
			name: "manifest missing", codec: codec.NameJSONL, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) { remove(t, dir, manifest.FileName) },
			want:   []wantProblem{{manifest.FileName, 0, "not a complete backup"}},
		},
		{
			name: "manifest invalid", codec: codec.NameJSONL, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) {
				editFile(t, dir, manifest.FileName, func(data []byte) []byte { return data[:len(data)/2] })
			},
			want: []wantProblem{{manifest.FileName, 0, "invalid JSON"}},
		},
		{
			name: "listed file missing", codec: codec.NameJSONL, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) { remove(t, dir, "Users.jsonl") },
			want:   []wantProblem{{"Users.jsonl", 0, "missing"}},
		},
		{
			name: "SHA-256 changed", codec: codec.NameJSONL, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) { editFile(t, dir, "Users.jsonl", flipInName) },
			want:   []wantProblem{{"Users.jsonl", 0, "SHA-256"}},
		},
		{
			name: "data file not listed", codec: codec.NameJSONL, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) {
				write(t, dir, "Extra.jsonl", goodLines(1)[0]+"\n")
				write(t, dir, "Extra.jsonl.gz", "")
				write(t, dir, "notes.txt", "not a data file")
			},
			want: []wantProblem{
				{"Extra.jsonl", 0, "not listed"},
				{"Extra.jsonl.gz", 0, "not listed"},
			},
		},
		{
			name: "listed extra file changed", codec: codec.NameJSONL, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) {
				write(t, dir, "Notes.jsonl", goodLines(1)[0]+"\n")
				rewriteManifest(t, dir, func(m *manifest.Manifest) {
					m.FileHashes["Notes.jsonl"] = sha256Hex(goodLines(1)[0] + "\n")
				})
				editFile(t, dir, "Notes.jsonl", flipInName)
			},
			want: []wantProblem{{"Notes.jsonl", 0, "SHA-256"}},
		},
		{
			name: "truncated gzip", codec: codec.NameJSONLGzip, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) {
				editFile(t, dir, "Users.jsonl.gz", func(data []byte) []byte { return data[:len(data)/2] })
			},
			want: []wantProblem{{"Users.jsonl.gz", 0, "SHA-256"}, {"Users.jsonl.gz", 0, "truncated"}, {"Users.jsonl.gz", 0, "holds 0 entities"}},
		},
		{
			name: "empty gzip", codec: codec.NameJSONLGzip, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) {
				editFile(t, dir, "Users.jsonl.gz", func([]byte) []byte { return nil })
			},
			want: []wantProblem{{"Users.jsonl.gz", 0, "truncated"}},
		},
		{
			name: "padded gzip", codec: codec.NameJSONLGzip, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) {
				editFile(t, dir, "Users.jsonl.gz", func(data []byte) []byte { return append(data, make([]byte, 16)...) })
			},
			want: []wantProblem{{"Users.jsonl.gz", 0, "SHA-256"}, {"Users.jsonl.gz", 0, "gzip"}},
		},
		{
			name: "flipped gzip byte", codec: codec.NameJSONLGzip, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) {
				editFile(t, dir, "Users.jsonl.gz", func(data []byte) []byte {
					data[len(data)-8] ^= 0x01 // In the CRC-32 of the member.
					return data
				})
			},
			want: []wantProblem{{"Users.jsonl.gz", 0, "SHA-256"}, {"Users.jsonl.gz", 0, "checksum"}},
		},
		{
			name: "partial last line", codec: codec.NameJSONL, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) {
				editFile(t, dir, "Users.jsonl", func(data []byte) []byte { return data[:len(data)-1] })
			},
			want: []wantProblem{{"Users.jsonl", 0, "SHA-256"}, {"Users.jsonl", 0, "truncated"}, {"Users.jsonl", 0, "holds 2 entities"}},
		},
		{
			name: "line not JSON", codec: codec.NameJSONL, tables: []testTable{withLine("not JSON")},
			want: []wantProblem{{"Users.jsonl", 2, "JSON"}},
		},
		{
			name: "empty line", codec: codec.NameJSONL, tables: []testTable{withLine("")},
			want: []wantProblem{{"Users.jsonl", 2, "JSON"}},
		},
		{
			name: "missing RowKey", codec: codec.NameJSONL, tables: []testTable{withLine(`{"PartitionKey":"p","Name":"x"}`)},
			want: []wantProblem{{"Users.jsonl", 2, "RowKey"}},
		},
		{
			name: "unknown type", codec: codec.NameJSONLGzip,
			tables: []testTable{withLine(`{"PartitionKey":"p","RowKey":"r","Price@odata.type":"Edm.Decimal","Price":"1.5"}`)},
			want:   []wantProblem{{"Users.jsonl.gz", 2, "Edm.Decimal"}},
		},
		{
			name: "bad Int64", codec: codec.NameJSONL,
			tables: []testTable{withLine(`{"PartitionKey":"p","RowKey":"r","Age@odata.type":"Edm.Int64","Age":"12abc"}`)},
			want:   []wantProblem{{"Users.jsonl", 2, "12abc"}},
		},
		{
			name: "duplicate key", codec: codec.NameJSONL,
			tables: []testTable{{"Users", []string{goodLines(1)[0], goodLines(2)[1], goodLines(1)[0]}}},
			want:   []wantProblem{{"Users.jsonl", 3, "first seen on line 1"}},
		},
		{
			name: "duplicate key in gzip", codec: codec.NameJSONLGzip,
			tables: []testTable{{"Users", []string{goodLines(2)[1], `{"PartitionKey":"p","RowKey":"b"}`}}},
			want:   []wantProblem{{"Users.jsonl.gz", 2, "duplicate key"}},
		},
		{
			name: "count higher in manifest", codec: codec.NameJSONL, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) { setCount(t, dir, "Users", 5) },
			want:   []wantProblem{{"Users.jsonl", 0, "holds 3 entities, but the manifest records 5"}},
		},
		{
			name: "count lower in manifest", codec: codec.NameJSONLGzip, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) { setCount(t, dir, "Users", 0) },
			want:   []wantProblem{{"Users.jsonl.gz", 0, "holds 3 entities, but the manifest records 0"}},
		},
		{
			name: "symlink", codec: codec.NameJSONL, tables: []testTable{users},
			tamper: func(t *testing.T, dir string) { replaceWithSymlink(t, dir, "Users.jsonl") },
			want:   []wantProblem{{"Users.jsonl", 0, "symbolic link"}},
		},
		{
			name: "unknown table option", codec: codec.NameJSONL, tables: []testTable{users},
			opts: manifest.VerifyOptions{Tables: []string{"Users", "Nope"}},
			want: []wantProblem{{"", 0, "Nope"}},
		},
		{
			name: "many bad lines", codec: codec.NameJSONL,
			tables: []testTable{{"Users", strings.Split(strings.Repeat("bad\n", 25), "\n")[:25]}},
			want:   manyBadLines(25, 20),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := writeBackup(t, tt.codec, tt.tables...)
			if tt.tamper != nil {
				tt.tamper(t, dir)
			}
			r := verify(t, dir, tt.opts)

			if r.OK() {
				t.Fatalf("tampered backup passed verification")
			}
			checkProblems(t, r, tt.want)
			var verr *manifest.VerificationError
			if !errors.As(r.Err(), &verr) {
				t.Errorf("Err() = %v, expected a *VerificationError", r.Err())
			}
		})
	}
}

// manyBadLines returns the problems for a file of n invalid lines when at
// most shown of them are listed.
func manyBadLines(n, shown int) []wantProblem {
	var want []wantProblem
	for i := 1; i <= shown; i++ {
		want = append(want, wantProblem{"Users.jsonl", int64(i), "JSON"})
	}
	return append(want, wantProblem{"Users.jsonl", 0, fmt.Sprintf("%d more line problems", n-shown)})
}

// TestVerifyReportsAll tampers with one backup in many ways at once and
// checks that Verify reports every one of them.
func TestVerifyReportsAll(t *testing.T) {
	dir, _ := writeBackup(t, codec.NameJSONL,
		testTable{"Missing", goodLines(2)},
		testTable{"Changed", goodLines(2)},
		testTable{"BadLine", []string{goodLines(1)[0], `{"PartitionKey":"p"}`}},
		testTable{"Counted", goodLines(2)},
		testTable{"Linked", goodLines(2)},
		testTable{"Duplicate", []string{goodLines(1)[0], goodLines(1)[0]}},
		testTable{"Good", goodLines(2)},
	)
	remove(t, dir, "Missing.jsonl")
	editFile(t, dir, "Changed.jsonl", func(data []byte) []byte {
		data[bytes.Index(data, []byte("alice"))] ^= 0x01
		return data
	})
	setCount(t, dir, "Counted", 7)
	replaceWithSymlink(t, dir, "Linked.jsonl")
	write(t, dir, "Unlisted.jsonl", "")

	r := verify(t, dir, manifest.VerifyOptions{})
	checkProblems(t, r, []wantProblem{
		{"Missing.jsonl", 0, "missing"},
		{"Changed.jsonl", 0, "SHA-256"},
		{"BadLine.jsonl", 2, "RowKey"},
		{"Counted.jsonl", 0, "manifest records 7"},
		{"Linked.jsonl", 0, "symbolic link"},
		{"Duplicate.jsonl", 2, "duplicate key"},
		{"Unlisted.jsonl", 0, "not listed"},
	})

	for _, res := range r.Tables {
		if wantOK := res.Name == "Good"; res.OK != wantOK {
			t.Errorf("table %s: OK = %v, expected %v", res.Name, res.OK, wantOK)
		}
	}
}

func TestVerifyReportsAllGzip(t *testing.T) {
	dir, _ := writeBackup(t, codec.NameJSONLGzip,
		testTable{"Truncated", goodLines(3)},
		testTable{"Padded", goodLines(3)},
		testTable{"BadInt", []string{`{"PartitionKey":"p","RowKey":"r","N@odata.type":"Edm.Int64","N":5}`}},
	)
	editFile(t, dir, "Truncated.jsonl.gz", func(data []byte) []byte { return data[:len(data)-3] })
	editFile(t, dir, "Padded.jsonl.gz", func(data []byte) []byte { return append(data, "garbage after the member"...) })

	r := verify(t, dir, manifest.VerifyOptions{})
	checkProblems(t, r, []wantProblem{
		{"Truncated.jsonl.gz", 0, "SHA-256"},
		{"Truncated.jsonl.gz", 0, "truncated"},
		{"Padded.jsonl.gz", 0, "SHA-256"},
		{"Padded.jsonl.gz", 0, "gzip"},
		{"BadInt.jsonl.gz", 1, "Edm.Int64"},
	})
}

// TestVerifyDistinctKeys checks keys whose PartitionKey and RowKey joined
// give the same text: they are different entities, not duplicates.
func TestVerifyDistinctKeys(t *testing.T) {
	dir, _ := writeBackup(t, codec.NameJSONL, testTable{"Users", []string{
		`{"PartitionKey":"ab","RowKey":"c"}`,
		`{"PartitionKey":"a","RowKey":"bc"}`,
		`{"PartitionKey":"","RowKey":"abc"}`,
		`{"PartitionKey":"abc","RowKey":""}`,
	}})
	r := verify(t, dir, manifest.VerifyOptions{})
	if !r.OK() {
		t.Errorf("distinct keys reported as problems:%s", listProblems(r))
	}
}

func TestVerifyMissingFileTableResult(t *testing.T) {
	dir, _ := writeBackup(t, codec.NameJSONL, testTable{"Users", goodLines(2)})
	remove(t, dir, "Users.jsonl")

	r := verify(t, dir, manifest.VerifyOptions{})
	if len(r.Tables) != 1 {
		t.Fatalf("report has %d tables, expected 1", len(r.Tables))
	}
	if r.Tables[0].OK {
		t.Errorf("table Users: OK = true, but its data file is missing")
	}
}

func TestVerifySelectedTables(t *testing.T) {
	dir, _ := writeBackup(t, codec.NameJSONL,
		testTable{"Users", goodLines(2)},
		testTable{"Clients", goodLines(2)},
	)
	editFile(t, dir, "Clients.jsonl", func(data []byte) []byte {
		data[bytes.Index(data, []byte("alice"))] ^= 0x01
		return data
	})

	r := verify(t, dir, manifest.VerifyOptions{Tables: []string{"Users"}})
	if !r.OK() {
		t.Errorf("verification of Users alone failed:%s", listProblems(r))
	}
	if len(r.Tables) != 1 || r.Tables[0].Name != "Users" {
		t.Errorf("report tables = %+v, expected only Users", r.Tables)
	}
}

func TestVerifyCanceled(t *testing.T) {
	dir, _ := writeBackup(t, codec.NameJSONL, testTable{"Users", goodLines(2)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := manifest.Verify(ctx, dir, manifest.VerifyOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with a canceled context = %v, expected context.Canceled", err)
	}
}

func remove(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func setCount(t *testing.T, dir, table string, count int64) {
	t.Helper()
	rewriteManifest(t, dir, func(m *manifest.Manifest) {
		tt := m.Tables[table]
		tt.EntityCount = count
		m.Tables[table] = tt
	})
}

// replaceWithSymlink moves the file name out of dir and leaves a symbolic
// link to it, so the bytes read through the link are unchanged.
func replaceWithSymlink(t *testing.T, dir, name string) {
	t.Helper()
	target := filepath.Join(t.TempDir(), name)
	if err := os.Rename(filepath.Join(dir, name), target); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// addKeyFiles writes a keys file and a deleted file for Users into the
// backup in dir, with correct hashes and counts, so that only their
// content can be wrong.
func addKeyFiles(t *testing.T, dir string, keys, deleted []string) {
	t.Helper()
	c, _ := codec.ByName(codec.NameJSONL)
	keysSum, _ := writeDataFile(t, c, filepath.Join(dir, "Users.keys.jsonl"), keys)
	deletedSum, _ := writeDataFile(t, c, filepath.Join(dir, "Users.deleted.jsonl"), deleted)
	rewriteManifest(t, dir, func(m *manifest.Manifest) {
		u := m.Tables["Users"]
		u.KeysFile, u.KeyCount = "Users.keys.jsonl", int64(len(keys))
		u.DeletedFile, u.DeletedCount, u.DeletesTracked = "Users.deleted.jsonl", int64(len(deleted)), true
		m.Tables["Users"] = u
		m.FileHashes[u.KeysFile] = keysSum
		m.FileHashes[u.DeletedFile] = deletedSum
	})
}

func key(rk string) string { return `{"PartitionKey":"p","RowKey":"` + rk + `"}` }

func TestVerifyKeyFiles(t *testing.T) {
	tests := []struct {
		name          string
		keys, deleted []string
		want          []wantProblem
	}{
		{name: "good", keys: []string{key("a"), key("b"), key("z")}, deleted: []string{key("y")}},
		{name: "data key not in key set", keys: []string{key("a")}, deleted: []string{},
			want: []wantProblem{{"Users.jsonl", 2, "missing from Users.keys.jsonl"}}},
		{name: "deleted key still alive", keys: []string{key("a"), key("b")}, deleted: []string{key("b")},
			want: []wantProblem{{"Users.deleted.jsonl", 1, "also holds it"}}},
		{name: "key line with properties", keys: []string{key("a"), `{"PartitionKey":"p","RowKey":"b","V":1}`}, deleted: []string{},
			want: []wantProblem{{"Users.keys.jsonl", 2, "lists keys only"}}},
		{name: "duplicate deleted key", keys: []string{key("a"), key("b")}, deleted: []string{key("y"), key("y")},
			want: []wantProblem{{"Users.deleted.jsonl", 2, "duplicate key"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := writeBackup(t, codec.NameJSONL, testTable{"Users", goodLines(2)})
			addKeyFiles(t, dir, tt.keys, tt.deleted)
			checkProblems(t, verify(t, dir, manifest.VerifyOptions{}), tt.want)
		})
	}
}

func TestVerifyChangedKeyFile(t *testing.T) {
	dir, _ := writeBackup(t, codec.NameJSONL, testTable{"Users", goodLines(2)})
	addKeyFiles(t, dir, []string{key("a"), key("b")}, []string{key("y")})
	write(t, dir, "Users.deleted.jsonl", key("a")+"\n")
	r := verify(t, dir, manifest.VerifyOptions{})
	if r.OK() || !strings.Contains(r.Problems[0].Message, "SHA-256") || r.Problems[0].File != "Users.deleted.jsonl" {
		t.Errorf("first problem is not the changed hash of the deleted file:%s", listProblems(r))
	}
}

func TestVerifyEncryptedWithoutIdentity(t *testing.T) {
	dir, m := writeBackup(t, "jsonl.gz.age", testTable{"Users", goodLines(3)})
	r := verify(t, dir, manifest.VerifyOptions{})
	if !r.OK() || len(r.Unread) != 1 || r.Unread[0] != m.Tables["Users"].File {
		t.Fatalf("verify without identity: OK %v, unread %v:%s", r.OK(), r.Unread, listProblems(r))
	}
	// The hash still catches a changed byte.
	path := filepath.Join(dir, m.Tables["Users"].File)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 1
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r = verify(t, dir, manifest.VerifyOptions{})
	if r.OK() || !strings.Contains(listProblems(r), "SHA-256") {
		t.Errorf("a changed encrypted file passed:%s", listProblems(r))
	}
}
