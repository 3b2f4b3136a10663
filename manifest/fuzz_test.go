package manifest_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/authagonal/authagonal-tables/manifest"
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
