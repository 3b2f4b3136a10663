package manifest_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// FuzzParse checks that Parse never panics and that every manifest it
// accepts encodes with Marshal to bytes that Parse accepts again and that
// encode to the same bytes.
func FuzzParse(f *testing.F) {
	golden, err := os.ReadFile(goldenFile)
	if err != nil {
		f.Fatalf("read golden file: %v", err)
	}
	f.Add(golden)
	f.Add([]byte(`{"FormatVersion":1,"Mode":"full"}`))
	f.Add([]byte(`{"FormatVersion":1,"Mode":"full","Tables":{"T":{"File":"T.jsonl","EntityCount":-1}},"FileHashes":{"T.jsonl":"00"}}`))
	f.Add([]byte(`{"FormatVersion":1,"Mode":"full","FileHashes":{"../x":"` + sha256Hex("") + `"}}`))
	f.Add([]byte(`{"FormatVersion":1,"Mode":"full","BackupTimestamp":"2024-01-02T03:04:05+14:00"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{}]`))

	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := manifest.Parse(data)
		if err != nil {
			return
		}
		encoded, err := m.Marshal()
		if err != nil {
			t.Fatalf("Parse accepted %q, but Marshal fails: %v", data, err)
		}
		again, err := manifest.Parse(encoded)
		if err != nil {
			t.Fatalf("Parse accepted %q, but rejects its Marshal output %q: %v", data, encoded, err)
		}
		reencoded, err := again.Marshal()
		if err != nil {
			t.Fatalf("second Marshal: %v", err)
		}
		if !bytes.Equal(reencoded, encoded) {
			t.Fatalf("Marshal output changed through Parse:\nfirst  %s\nsecond %s", encoded, reencoded)
		}
	})
}

// FuzzParseLegacy checks that ParseLegacy never panics, that what it
// accepts has Legacy set and a file name for every table that Verify
// accepts, and that Parse never accepts a manifest that ParseLegacy does.
func FuzzParseLegacy(f *testing.F) {
	for _, name := range []string{"full-nohash", "full-gz-hashed", "incremental"} {
		data, err := os.ReadFile(legacyData + "/" + name + "/" + manifest.FileName)
		if err != nil {
			f.Fatalf("read fixture: %v", err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"full","Tables":{"A":{"EntityCount":1}},"WrappedContentKey":""}`))
	f.Add([]byte(`{"BackupId":"x","BackupTimestamp":"2026-03-01T09:15:00+00:00","Mode":"incremental","Watermark":"2026-03-01T09:00:00Z","Tables":{},"TombstoneCount":1}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := manifest.ParseLegacy(data)
		if err != nil {
			return
		}
		if m.Legacy == nil {
			t.Fatalf("ParseLegacy(%q) returned no Legacy", data)
		}
		for name, table := range m.Tables {
			if err := manifest.CheckFileName(table.File); err != nil {
				t.Fatalf("ParseLegacy(%q): table %q has file %q: %v", data, name, table.File, err)
			}
		}
		if _, err := manifest.Parse(data); err == nil {
			t.Fatalf("both Parse and ParseLegacy accept %q", data)
		}
	})
}

// FuzzTombstones checks that the reader of a file of deletes never panics,
// that each delete it returns names a valid table and carries keys only,
// and that line numbers rise.
func FuzzTombstones(f *testing.F) {
	data, err := os.ReadFile(legacyData + "/incremental/_tombstones.jsonl")
	if err != nil {
		f.Fatalf("read fixture: %v", err)
	}
	f.Add(data)
	f.Add([]byte("\xef\xbb\xbf{\"Table\":\"Users\",\"PartitionKey\":\"\",\"RowKey\":\"\",\"DeletedAt\":null}\r\n"))
	f.Add([]byte(`{"Table":"tables","PartitionKey":"p","RowKey":"r"}` + "\n" + `{"Table":"Users"}` + "\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "_tombstones.jsonl"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := manifest.OpenTombstones(dir, "_tombstones.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var last int64
		for {
			table, e, line, err := r.Next()
			if err == io.EOF {
				return
			}
			var lerr *manifest.LineError
			if errors.As(err, &lerr) {
				continue
			}
			if err != nil {
				return
			}
			if line <= last {
				t.Fatalf("line %d after line %d", line, last)
			}
			last = line
			if verr := tables.ValidateName(table); verr != nil {
				t.Fatalf("line %d: accepted table: %v", line, verr)
			}
			if e == nil || len(e.Properties) != 0 {
				t.Fatalf("line %d: entity %+v, want keys only", line, e)
			}
		}
	})
}
