package manifest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/manifest"
)

func TestHashWriter(t *testing.T) {
	var buf bytes.Buffer
	hw := manifest.NewHashWriter(&buf)

	if want := sha256Hex(""); hw.Sum() != want {
		t.Errorf("Sum before any write = %s, expected the SHA-256 of nothing %s", hw.Sum(), want)
	}
	for _, part := range []string{"hello ", "", "world"} {
		n, err := hw.Write([]byte(part))
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		if n != len(part) {
			t.Errorf("Write(%q) = %d, expected %d", part, n, len(part))
		}
	}

	if buf.String() != "hello world" {
		t.Errorf("underlying writer got %q, expected %q", buf.String(), "hello world")
	}
	if want := sha256Hex("hello world"); hw.Sum() != want {
		t.Errorf("Sum = %s, expected %s", hw.Sum(), want)
	}
	if hw.Bytes() != 11 {
		t.Errorf("Bytes = %d, expected 11", hw.Bytes())
	}
}

// shortWriter accepts at most limit bytes in total.
type shortWriter struct {
	buf   bytes.Buffer
	limit int
}

func (w *shortWriter) Write(p []byte) (int, error) {
	room := w.limit - w.buf.Len()
	if len(p) <= room {
		return w.buf.Write(p)
	}
	w.buf.Write(p[:room])
	return room, errors.New("disk full")
}

func TestHashWriterShortWrite(t *testing.T) {
	w := &shortWriter{limit: 4}
	hw := manifest.NewHashWriter(w)
	n, err := hw.Write([]byte("abcdef"))
	if err == nil {
		t.Errorf("Write returned no error from a failing writer")
	}
	if n != 4 {
		t.Errorf("Write = %d, expected 4", n)
	}
	if hw.Bytes() != 4 {
		t.Errorf("Bytes = %d, expected only the 4 bytes written", hw.Bytes())
	}
	if want := sha256Hex("abcd"); hw.Sum() != want {
		t.Errorf("Sum covers bytes that were not written")
	}
}

func fileSHA256(t *testing.T, path string) (string, int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), int64(len(data))
}

func TestDataReader(t *testing.T) {
	for _, c := range codec.All() {
		t.Run(c.Name(), func(t *testing.T) {
			lines := goodLines(5)
			dir, m := writeBackup(t, c.Name(), testTable{"Users", lines})
			file := m.Tables["Users"].File

			d, err := manifest.OpenData(dir, file, testKeys)
			if err != nil {
				t.Fatalf("OpenData: %v", err)
			}
			defer d.Close()
			for i := range lines {
				e, line, err := d.Next()
				if err != nil {
					t.Fatalf("Next %d: %v", i+1, err)
				}
				if line != int64(i+1) {
					t.Errorf("line number = %d, expected %d", line, i+1)
				}
				if want := string(rune('a' + i)); e.RowKey != want {
					t.Errorf("line %d: RowKey = %q, expected %q", i+1, e.RowKey, want)
				}
			}
			if _, _, err := d.Next(); err != io.EOF {
				t.Fatalf("Next after the last line = %v, expected io.EOF", err)
			}

			wantSum, wantBytes := fileSHA256(t, filepath.Join(dir, file))
			if d.Sum() != wantSum {
				t.Errorf("Sum = %s, expected the file's SHA-256 %s", d.Sum(), wantSum)
			}
			if d.Sum() != m.FileHashes[file] {
				t.Errorf("Sum = %s, but HashWriter recorded %s", d.Sum(), m.FileHashes[file])
			}
			if d.Bytes() != wantBytes {
				t.Errorf("Bytes = %d, expected the file size %d", d.Bytes(), wantBytes)
			}
			if err := d.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := d.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestDataReaderLineError(t *testing.T) {
	lines := []string{goodLines(1)[0], `{"PartitionKey":"p"}`, `{"PartitionKey":"p","RowKey":"z"}`}
	dir, m := writeBackup(t, codec.NameJSONL, testTable{"Users", lines})
	file := m.Tables["Users"].File
	d, err := manifest.OpenData(dir, file, codec.Keys{})
	if err != nil {
		t.Fatalf("OpenData: %v", err)
	}
	defer d.Close()

	if _, _, err := d.Next(); err != nil {
		t.Fatalf("line 1: %v", err)
	}

	_, line, err := d.Next()
	var lerr *manifest.LineError
	if !errors.As(err, &lerr) {
		t.Fatalf("line 2: error %v is not a *LineError", err)
	}
	if lerr.Line != 2 || line != 2 {
		t.Errorf("LineError.Line = %d and line = %d, expected 2", lerr.Line, line)
	}
	if lerr.File != file {
		t.Errorf("LineError.File = %q, expected %q", lerr.File, file)
	}
	if !strings.Contains(err.Error(), file+": line 2:") {
		t.Errorf("error %q does not name the file and line", err)
	}

	e, line, err := d.Next()
	if err != nil {
		t.Fatalf("Next after a LineError: %v", err)
	}
	if line != 3 || e.RowKey != "z" {
		t.Errorf("Next after a LineError = line %d RowKey %q, expected line 3 RowKey %q", line, e.RowKey, "z")
	}
	if _, _, err := d.Next(); err != io.EOF {
		t.Errorf("Next at the end = %v, expected io.EOF", err)
	}
}

func TestOpenDataRejects(t *testing.T) {
	dir, _ := writeBackup(t, codec.NameJSONL, testTable{"Users", goodLines(1)})
	outside := filepath.Join(t.TempDir(), "Users.jsonl")
	if err := os.WriteFile(outside, []byte(goodLines(1)[0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "Linked.jsonl")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "Folder.jsonl"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Users.csv"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		file string
		want string
	}{
		{"missing", "Absent.jsonl", "missing"},
		{"symlink", "Linked.jsonl", "symbolic link"},
		{"folder", "Folder.jsonl", "is a folder"},
		{"unknown suffix", "Users.csv", "suffix"},
		{"path", "../Users.jsonl", "path"},
		{"manifest", manifest.FileName, "manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := manifest.OpenData(dir, tt.file, codec.Keys{})
			if err == nil {
				d.Close()
				t.Fatalf("OpenData(%q) succeeded", tt.file)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("OpenData(%q) = %q, expected a message containing %q", tt.file, err, tt.want)
			}
		})
	}
}
