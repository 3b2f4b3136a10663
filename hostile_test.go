package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/manifest"
)

// hostileBackup writes a backup folder of one table, Hostile, whose data
// file holds content as given, with a manifest whose hashes and counts
// match it, so that only the content is wrong.
func hostileBackup(t *testing.T, file string, content []byte, entities int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "20261204-020000")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), content, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	m := &manifest.Manifest{
		FormatVersion:   manifest.FormatVersion,
		BackupID:        "20261204-020000",
		BackupTimestamp: time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC),
		Mode:            manifest.ModeFull,
		Codec:           "jsonl",
		Tables:          map[string]manifest.Table{"Hostile": {EntityCount: entities, File: file, Bytes: int64(len(content))}},
		FileHashes:      map[string]string{file: hex.EncodeToString(sum[:])},
		MissingTables:   []string{},
		ExcludedTables:  []manifest.Excluded{},
		TrackDeletes:    true,
	}
	if strings.HasSuffix(file, ".gz") {
		m.Codec, m.Compressed = "jsonl.gz", true
	}
	if err := manifest.Write(dir, m); err != nil {
		t.Fatal(err)
	}
	return dir
}

// editManifest applies edit to the manifest of dir as generic JSON, so
// that it can write what the manifest package would refuse to.
func editManifest(t *testing.T, dir string, edit func(m map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, manifest.FileName)
	var m map[string]any
	if err := json.Unmarshal(readFile(t, path), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// renameFile points the manifest's table and hash at another file name.
func renameFile(name string) func(m map[string]any) {
	return func(m map[string]any) {
		hashes := m["FileHashes"].(map[string]any)
		hashes[name] = hashes["Hostile.jsonl"]
		delete(hashes, "Hostile.jsonl")
		m["Tables"].(map[string]any)["Hostile"].(map[string]any)["File"] = name
	}
}

// TestCLIHostileInput feeds restore and verify damaged and hostile
// backups. Each must fail with exit code 1 and a message that names the
// file and the line or field, and restore must not write anything, not
// even a table.
func TestCLIHostileInput(t *testing.T) {
	good := []byte(`{"PartitionKey":"p","RowKey":"r","V":"x"}` + "\n")
	line := func(s string) []byte { return []byte(s + "\n") }
	k := makeKeys(t)
	stranger := makeKeys(t)

	cases := []struct {
		name string
		// setup returns the backup folder and extra arguments.
		setup func(t *testing.T) (string, []string)
		want  string
	}{
		{"file name with ..", func(t *testing.T) (string, []string) {
			dir := hostileBackup(t, "Hostile.jsonl", good, 1)
			editManifest(t, dir, renameFile("../Hostile.jsonl"))
			return dir, nil
		}, `_manifest.json: FileHashes: file name "../Hostile.jsonl" contains a path`},
		{"file name with a slash", func(t *testing.T) (string, []string) {
			dir := hostileBackup(t, "Hostile.jsonl", good, 1)
			editManifest(t, dir, renameFile("sub/Hostile.jsonl"))
			return dir, nil
		}, `file name "sub/Hostile.jsonl" contains a path`},
		{"absolute file name", func(t *testing.T) (string, []string) {
			dir := hostileBackup(t, "Hostile.jsonl", good, 1)
			editManifest(t, dir, renameFile("/etc/passwd"))
			return dir, nil
		}, `file name "/etc/passwd" contains a path`},
		{"file name with NUL", func(t *testing.T) (string, []string) {
			dir := hostileBackup(t, "Hostile.jsonl", good, 1)
			editManifest(t, dir, renameFile("Hostile\x00.jsonl"))
			return dir, nil
		}, `contains a NUL byte`},
		{"data file is a symlink", func(t *testing.T) (string, []string) {
			dir := hostileBackup(t, "Hostile.jsonl", good, 1)
			target := filepath.Join(t.TempDir(), "elsewhere.jsonl")
			os.WriteFile(target, good, 0o600)
			os.Remove(filepath.Join(dir, "Hostile.jsonl"))
			if err := os.Symlink(target, filepath.Join(dir, "Hostile.jsonl")); err != nil {
				t.Fatal(err)
			}
			return dir, nil
		}, "Hostile.jsonl: is a symbolic link"},
		{"manifest over the size cap", func(t *testing.T) (string, []string) {
			dir := hostileBackup(t, "Hostile.jsonl", good, 1)
			editManifest(t, dir, func(m map[string]any) { m["ToolVersion"] = strings.Repeat("x", manifest.MaxBytes) })
			return dir, nil
		}, "_manifest.json: larger than 16777216 bytes"},
		{"line over the cap", func(t *testing.T) (string, []string) {
			huge := append([]byte(`{"PartitionKey":"p","RowKey":"r","V":"`), bytes.Repeat([]byte("x"), 17<<20)...)
			return hostileBackup(t, "Hostile.jsonl", append(huge, []byte("\"}\n")...), 1), nil
		}, "Hostile.jsonl: line 1: line longer than 16777216 bytes"},
		{"invalid UTF-8", func(t *testing.T) (string, []string) {
			return hostileBackup(t, "Hostile.jsonl", line(`{"PartitionKey":"p","RowKey":"r","V":"`+"\xff\xfe"+`"}`), 1), nil
		}, "Hostile.jsonl: line 1: invalid entity: not valid UTF-8"},
		{"lone surrogate escape", func(t *testing.T) (string, []string) {
			return hostileBackup(t, "Hostile.jsonl", line(`{"PartitionKey":"p","RowKey":"r","V":"\ud800"}`), 1), nil
		}, `Hostile.jsonl: line 1: invalid entity: lone high surrogate`},
		{"property named twice", func(t *testing.T) (string, []string) {
			return hostileBackup(t, "Hostile.jsonl", append(good, line(`{"PartitionKey":"p","RowKey":"s","V":"x","V":"y"}`)...), 2), nil
		}, `Hostile.jsonl: line 2: invalid entity: property "V" appears twice`},
		{"non-string key", func(t *testing.T) (string, []string) {
			return hostileBackup(t, "Hostile.jsonl", line(`{"PartitionKey":5,"RowKey":"r"}`), 1), nil
		}, "Hostile.jsonl: line 1: invalid entity: PartitionKey is a number, expected a string"},
		{"Binary not base64", func(t *testing.T) (string, []string) {
			return hostileBackup(t, "Hostile.jsonl", line(`{"PartitionKey":"p","RowKey":"r","B@odata.type":"Edm.Binary","B":"not base64!"}`), 1), nil
		}, `Hostile.jsonl: line 1: invalid entity: property "B": invalid Edm.Binary`},
		{"Int64 out of range", func(t *testing.T) (string, []string) {
			return hostileBackup(t, "Hostile.jsonl", line(`{"PartitionKey":"p","RowKey":"r","N@odata.type":"Edm.Int64","N":"9223372036854775808"}`), 1), nil
		}, `Hostile.jsonl: line 1: invalid entity: property "N": invalid Edm.Int64 "9223372036854775808"`},
		{"gzip bomb", func(t *testing.T) (string, []string) {
			bomb := gzipped(t, bytes.Repeat([]byte("a"), 200<<20))
			return hostileBackup(t, "Hostile.jsonl.gz", bomb, 1), nil
		}, "Hostile.jsonl.gz: line 1: line longer than 16777216 bytes"},
		{"encrypted to someone else", func(t *testing.T) (string, []string) {
			srv := azurite.Shared(t)
			seedTable(t, "Hostile", `{"PartitionKey":"p","RowKey":"r","V":"x"}`)
			out := t.TempDir()
			wantCode(t, runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + srv.ConnectionString()},
				"backup", "--tables", "Hostile", "--output", out, "--encrypt-to", stranger.recipient), 0)
			return onlyBackup(t, out), []string{"--identity", k.identity}
		}, "Hostile.jsonl.age: encrypted to other recipients"},
		{"signed by another key", func(t *testing.T) (string, []string) {
			srv := azurite.Shared(t)
			out := t.TempDir()
			wantCode(t, runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + srv.ConnectionString()},
				"backup", "--tables", "Hostile", "--output", out, "--sign-key", stranger.signKey), 0)
			return onlyBackup(t, out), []string{"--verify-key", k.verifyKey}
		}, "_manifest.json.sig: the signature does not match"},
	}

	target, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	svc, err := target.Service()
	if err != nil {
		t.Fatal(err)
	}
	conn := "STORAGE_CONNECTION_STRING=" + target.ConnectionString()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, extra := tc.setup(t)
			v := runBinary(t, nil, append(append([]string{"verify"}, extra...), dir)...)
			wantCode(t, v, 1)
			if !strings.Contains(v.stdout+v.stderr, tc.want) {
				t.Errorf("verify does not say %q:\nstdout:\n%s\nstderr:\n%s", tc.want, v.stdout, v.stderr)
			}
			r := runBinary(t, []string{conn}, append([]string{"restore", "--input", dir}, extra...)...)
			wantCode(t, r, 1)
			if !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Errorf("restore does not say %q:\nstdout:\n%s\nstderr:\n%s", tc.want, r.stdout, r.stderr)
			}
			names, err := svc.ListTables(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(names) > 0 {
				t.Errorf("restore of a hostile backup created tables %v", names)
			}
		})
	}
}
